//! Filling layers at the same time: each download runs on its own thread, and the build output
//! says which ran together and how long each took, as each one ends.

use crate::BuildpackError;
use bullet_stream::global::print;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Fills a layer, adding notes to show after it (retries) to the `Vec` it is given. On failure it
/// must leave the layer's directory empty.
pub(crate) type Work<'a> =
    Box<dyn FnOnce(&mut Vec<String>) -> Result<(), BuildpackError> + Send + 'a>;

/// The work that fills one layer without needing anything else of the build (no Python).
pub(crate) struct Download<'a> {
    /// What it installs: `Python 3.13.5`, `uv 0.13.9`.
    pub(crate) what: String,
    /// Where from, credentials redacted.
    pub(crate) from: String,
    pub(crate) work: Work<'a>,
}

/// Runs every download at once and waits for all of them. The first failure (in the order given)
/// is returned once every download has ended, so nothing is left writing into a layer.
pub(crate) fn run_all(downloads: Vec<Download<'_>>) -> Result<(), BuildpackError> {
    if downloads.is_empty() {
        return Ok(());
    }
    print::sub_bullet(announcement(&downloads));
    let mut failures = Vec::new();
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        for (position, download) in downloads.into_iter().enumerate() {
            let sender = sender.clone();
            scope.spawn(move || {
                let started = Instant::now();
                let mut notes = Vec::new();
                let result = (download.work)(&mut notes);
                // The receiver lives until every sender is gone.
                let _ = sender.send((position, download.what, started.elapsed(), notes, result));
            });
        }
        drop(sender);
        for (position, what, elapsed, notes, result) in receiver {
            let outcome = if result.is_ok() {
                "Installed"
            } else {
                "Failed to install"
            };
            print::sub_bullet(format!("{outcome} {what} ({})", human(elapsed)));
            for note in notes {
                print::sub_bullet(note);
            }
            if let Err(error) = result {
                failures.push((position, error));
            }
        }
    });
    failures.sort_by_key(|(position, _)| *position);
    match failures.into_iter().next() {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}

/// `Downloading Python 3.13.5 from URL`, or for several,
/// `Downloading in parallel: Python 3.13.5 from URL, and uv 0.13.9 from INDEX`.
fn announcement(downloads: &[Download<'_>]) -> String {
    let items: Vec<String> = downloads
        .iter()
        .map(|download| format!("{} from {}", download.what, download.from))
        .collect();
    match items.as_slice() {
        [one] => format!("Downloading {one}"),
        [rest @ .., last] => format!("Downloading in parallel: {}, and {last}", rest.join(", ")),
        [] => String::new(),
    }
}

/// Like the build output's own timers: `0.4s`, `12.0s`, `1m 5s`, `< 0.1s`.
pub(crate) fn human(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m {}s", seconds / 60, seconds % 60)
    } else if duration.as_millis() >= 100 {
        format!("{seconds}.{}s", duration.subsec_millis() / 100)
    } else {
        "< 0.1s".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    fn download<'a>(
        what: &str,
        work: impl FnOnce() -> Result<(), BuildpackError> + Send + 'a,
    ) -> Download<'a> {
        Download {
            what: what.to_string(),
            from: "here".to_string(),
            work: Box::new(|_| work()),
        }
    }

    #[test]
    fn downloads_run_at_the_same_time() {
        // Each waits for the other: this only ends if both run at once.
        let barrier = Arc::new(Barrier::new(2));
        let (a, b) = (Arc::clone(&barrier), Arc::clone(&barrier));
        run_all(vec![
            download("a", move || {
                a.wait();
                Ok(())
            }),
            download("b", move || {
                b.wait();
                Ok(())
            }),
        ])
        .unwrap();
    }

    #[test]
    fn the_first_failure_in_order_wins_after_all_ended() {
        let finished = std::sync::atomic::AtomicBool::new(false);
        let error = run_all(vec![
            download("a", || {
                std::thread::sleep(Duration::from_millis(50));
                Err(BuildpackError::Detect(std::io::Error::other("a failed")))
            }),
            download("b", || {
                Err(BuildpackError::Detect(std::io::Error::other("b failed")))
            }),
            download("c", || {
                std::thread::sleep(Duration::from_millis(100));
                finished.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }),
        ])
        .unwrap_err();
        assert!(matches!(error, BuildpackError::Detect(e) if e.to_string() == "a failed"));
        assert!(finished.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn announcements_and_durations() {
        let one = [download("Python 3.13.5", || Ok(()))];
        assert_eq!(announcement(&one), "Downloading Python 3.13.5 from here");
        let two = [
            download("Python 3.13.5", || Ok(())),
            download("uv 0.13.9", || Ok(())),
        ];
        assert_eq!(
            announcement(&two),
            "Downloading in parallel: Python 3.13.5 from here, and uv 0.13.9 from here"
        );
        assert_eq!(human(Duration::from_millis(40)), "< 0.1s");
        assert_eq!(human(Duration::from_millis(1250)), "1.2s");
        assert_eq!(human(Duration::from_secs(65)), "1m 5s");
    }
}
