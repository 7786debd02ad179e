//! The environment every subprocess of the build runs with, computed explicitly.

use libcnb::Env;
use libcnb::layer_env::{LayerEnv, Scope};

/// Variables whose user value is prepended (with `:`) to the platform's, as the lifecycle does.
const PATH_LIKE: [&str; 5] = [
    "PATH",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
];

/// The buildpack process's own environment with the user's platform env (`pack build --env`)
/// applied on top. Under the lifecycle `clear-env = true` keeps user env out of our process env,
/// so it is applied here, once, for every subprocess.
pub(crate) fn base_env(platform_env: &Env) -> Env {
    let mut env = Env::from_current();
    for (name, value) in platform_env {
        let is_path_like = PATH_LIKE.iter().any(|p| name == p);
        match env.get(name).cloned() {
            Some(existing) if is_path_like && !existing.is_empty() => {
                // The runner (and lifecycles with clear-env = false) may have applied it already.
                let existing_str = existing.to_string_lossy();
                let user = value.to_string_lossy();
                if existing_str.split(':').next() != Some(user.as_ref()) {
                    let mut combined = value.clone();
                    combined.push(":");
                    combined.push(&existing);
                    env.insert(name, combined);
                }
            }
            _ => {
                env.insert(name, value);
            }
        }
    }
    // Removed whatever their origin: the runner (or a lifecycle with clear-env = false) may have
    // applied the user's value to this process's env already.
    let neutralised: Vec<&std::ffi::OsString> = platform_env
        .iter()
        .map(|(name, _)| name)
        .filter(|name| crate::env_safety::is_neutralised(&name.to_string_lossy()))
        .collect();
    if neutralised.is_empty() {
        return env;
    }
    let mut kept = Env::new();
    for (name, value) in &env {
        if !neutralised.contains(&name) {
            kept.insert(name, value);
        }
    }
    kept
}

/// Applies a layer's build-time env (bin, lib, include and its env files) on top of `env`.
pub(crate) fn with_layer(env: &Env, layer_env: &LayerEnv) -> Env {
    layer_env.apply(Scope::Build, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_values_override_plain_and_prefix_path_like_vars() {
        let mut platform = Env::new();
        platform.insert("PIP_INDEX_URL", "https://example.test/simple");
        platform.insert("PATH", "/user/bin");
        let env = base_env(&platform);
        assert_eq!(
            env.get_string_lossy("PIP_INDEX_URL").as_deref(),
            Some("https://example.test/simple")
        );
        assert!(
            env.get_string_lossy("PATH")
                .unwrap()
                .starts_with("/user/bin")
        );
    }

    #[test]
    fn neutralised_user_values_are_removed() {
        let mut platform = Env::new();
        platform.insert("PYTHONPATH", "/app/src");
        assert_eq!(base_env(&platform).get("PYTHONPATH"), None);
    }
}
