//! Layer `[metadata]` and `store.toml` as the lifecycle gives them back on a rebuild. The
//! lifecycle keeps them as JSON between builds (the image's `io.buildpacks.lifecycle.metadata`
//! label, the cache's metadata) and writes them back with Go's TOML encoder, so what a buildpack
//! reads is not what it wrote: every number is a float (JSON has one number type, decoded as Go
//! `float64`; `1` comes back as `1.0`), and every date or time is a string (Go's `time.Time`
//! marshals to JSON as an RFC 3339 string). Tables, arrays, strings and booleans survive. See
//! lifecycle `buildpack/layermetadata.go`, `internal/layer/metadata_restorer.go` and
//! `platform/files` (`LayersMetadata`, `CacheMetadata`).

use std::fmt::Write as _;
use toml::value::{Datetime, Offset};
use toml::{Table, Value};

/// `table` after the lifecycle's round trip through JSON.
#[must_use]
pub(crate) fn round_trip(table: &Table) -> Table {
    table
        .iter()
        .map(|(key, value)| (key.clone(), round_trip_value(value)))
        .collect()
}

fn round_trip_value(value: &Value) -> Value {
    match value {
        // What Go's encoding/json gives for any JSON number decoded into an interface{}.
        #[allow(clippy::cast_precision_loss)]
        Value::Integer(i) => Value::Float(*i as f64),
        Value::Datetime(datetime) => Value::String(go_rfc3339(datetime)),
        Value::Array(items) => Value::Array(items.iter().map(round_trip_value).collect()),
        Value::Table(table) => Value::Table(round_trip(table)),
        Value::String(_) | Value::Float(_) | Value::Boolean(_) => value.clone(),
    }
}

/// A TOML date-time as Go's `time.Time` marshals it to JSON (`time.RFC3339Nano`: fraction
/// without trailing zeros, `Z` for a zero offset). BurntSushi/toml decodes local date-times,
/// dates and times in the machine's zone, which is UTC in the lifecycle's container; a local
/// time gets the date 0000-01-01.
fn go_rfc3339(datetime: &Datetime) -> String {
    let (year, month, day) = datetime
        .date
        .map_or((0, 1, 1), |d| (d.year, d.month, d.day));
    let (hour, minute, second, nanos) = datetime.time.map_or((0, 0, 0, 0), |t| {
        (
            t.hour,
            t.minute,
            t.second.unwrap_or(0),
            t.nanosecond.unwrap_or(0),
        )
    });
    let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    match datetime.offset {
        None | Some(Offset::Z | Offset::Custom { minutes: 0 }) => text.push('Z'),
        Some(Offset::Custom { minutes }) => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let minutes = minutes.unsigned_abs();
            let _ = write!(text, "{sign}{:02}:{:02}", minutes / 60, minutes % 60);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_floats_and_datetimes_strings_at_any_depth() {
        let table: Table = toml::from_str(
            r#"
            int = 1
            negative = -7
            float = 1.5
            string = "1"
            bool = true
            offset = 1979-05-27T00:32:00.999000-07:00
            utc = 1979-05-27T07:32:00Z
            local = 1979-05-27T07:32:00
            date = 1979-05-27
            time = 07:32:00.5
            list = [1, [2, "x"]]
            [nested.deeper]
            n = 3
            [[entries]]
            n = 4
            "#,
        )
        .unwrap();
        let expected: Table = toml::from_str(
            r#"
            int = 1.0
            negative = -7.0
            float = 1.5
            string = "1"
            bool = true
            offset = "1979-05-27T00:32:00.999-07:00"
            utc = "1979-05-27T07:32:00Z"
            local = "1979-05-27T07:32:00Z"
            date = "1979-05-27T00:00:00Z"
            time = "0000-01-01T07:32:00.5Z"
            list = [1.0, [2.0, "x"]]
            [nested.deeper]
            n = 3.0
            [[entries]]
            n = 4.0
            "#,
        )
        .unwrap();
        assert_eq!(round_trip(&table), expected);
        let text = toml::to_string(&round_trip(&table)).unwrap();
        assert!(text.contains("int = 1.0\n"), "{text}");
    }
}
