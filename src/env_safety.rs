//! User env (`pack build --env`) that would break the build's isolation: where Python, the
//! virtual environment and the installed packages live is the buildpack's business. Most such
//! variables are refused; a few that users set for good reasons elsewhere are left out of the
//! build's subprocess env instead. What each one breaks is explained in `crate::errors`, or, for a
//! package manager's own settings, in its declaration.

use crate::package_managers::PackageManager;
use libcnb::Env;

/// What a variable would break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnvHazard {
    /// `PYTHONHOME`: the interpreter looks for its standard library elsewhere.
    PythonHome,
    /// `VIRTUAL_ENV`: tools target another virtual environment.
    VirtualEnv,
    /// `CONDA_PREFIX`, `CONDA_DEFAULT_ENV`: a conda environment.
    Conda,
    /// A package manager's setting that its declaration refuses (`UV_PYTHON*`, `PIP_TARGET`):
    /// what it breaks.
    PackageManagerSetting(&'static str),
    /// `PYTHONPATH`: packages from outside the venv shadow the installed ones during the build.
    PythonPath,
    /// `PIP_REQUIRE_VIRTUALENV`: the buildpack installs pip itself outside any venv.
    PipRequireVirtualenv,
}

/// Names matched exactly, or as a prefix when they end with `*`; the package managers'
/// declarations add their own (see [`refused`]).
const REFUSED: [(&str, EnvHazard); 4] = [
    ("PYTHONHOME", EnvHazard::PythonHome),
    ("VIRTUAL_ENV", EnvHazard::VirtualEnv),
    ("CONDA_PREFIX", EnvHazard::Conda),
    ("CONDA_DEFAULT_ENV", EnvHazard::Conda),
];

/// Left out of every subprocess of the build (with a warning), see [`crate::build_env`].
pub(crate) const NEUTRALISED: [(&str, EnvHazard); 2] = [
    ("PYTHONPATH", EnvHazard::PythonPath),
    ("PIP_REQUIRE_VIRTUALENV", EnvHazard::PipRequireVirtualenv),
];

/// Every refused pattern: the general ones, then every package manager's (whichever the app
/// uses: the check runs before the package manager is known, and none of these belongs in any
/// build).
fn refused() -> impl Iterator<Item = (&'static str, EnvHazard)> {
    REFUSED.into_iter().chain(
        PackageManager::ALL
            .into_iter()
            .flat_map(|package_manager| package_manager.declaration().refused_settings)
            .map(|setting| {
                (
                    setting.pattern,
                    EnvHazard::PackageManagerSetting(setting.breaks),
                )
            }),
    )
}

/// Whether `name` is a switch that is harmless when off: `PIP_USER=0` does not make pip install
/// elsewhere.
fn harmless_when_off(name: &str) -> bool {
    PackageManager::ALL
        .into_iter()
        .flat_map(|package_manager| package_manager.declaration().refused_settings)
        .any(|setting| setting.harmless_when_off && setting.pattern == name)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EnvVarProblem {
    pub(crate) name: String,
    pub(crate) hazard: EnvHazard,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvCheck {
    /// The build must not run with these.
    pub(crate) refused: Vec<EnvVarProblem>,
    /// Removed from the build's subprocess env.
    pub(crate) neutralised: Vec<EnvVarProblem>,
}

/// Variables left out of the build's subprocess env: a warning.
pub(crate) struct Neutralised<'a>(pub(crate) &'a [EnvVarProblem]);

/// Sorts the platform env's problem variables; empty values count as unset.
pub(crate) fn check_build_env(platform_env: &Env) -> EnvCheck {
    let mut result = EnvCheck::default();
    for (name, value) in platform_env {
        let name = name.to_string_lossy();
        let value = value.to_string_lossy();
        if value.trim().is_empty() || (harmless_when_off(&name) && is_off(&value)) {
            continue;
        }
        let problem = |hazard| EnvVarProblem {
            name: name.to_string(),
            hazard,
        };
        if let Some((_, hazard)) = refused().find(|(pattern, _)| matches(pattern, &name)) {
            result.refused.push(problem(hazard));
        } else if let Some((_, hazard)) = NEUTRALISED.iter().find(|(n, _)| *n == name) {
            result.neutralised.push(problem(*hazard));
        }
    }
    result.refused.sort_by(|a, b| a.name.cmp(&b.name));
    result.neutralised.sort_by(|a, b| a.name.cmp(&b.name));
    result
}

/// Whether the user set `name` to a neutralised variable (so that it is removed from the env).
pub(crate) fn is_neutralised(name: &str) -> bool {
    NEUTRALISED.iter().any(|(n, _)| *n == name)
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

fn is_off(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    fn names(problems: &[EnvVarProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn refuses_variables_that_redirect_python_or_the_environment() {
        let result = check_build_env(&env(&[
            ("PYTHONHOME", "/usr"),
            ("VIRTUAL_ENV", "/app/.venv"),
            ("UV_PYTHON", "3.12"),
            ("UV_PYTHON_DOWNLOADS", "automatic"),
            ("POETRY_VIRTUALENVS_CREATE", "false"),
            ("PIP_TARGET", "/tmp/x"),
            ("PIP_INDEX_URL", "https://example.test/simple"),
            ("BP_PYTHON_VERSION", "3.13"),
        ]));
        assert_eq!(
            names(&result.refused),
            [
                "PIP_TARGET",
                "POETRY_VIRTUALENVS_CREATE",
                "PYTHONHOME",
                "UV_PYTHON",
                "UV_PYTHON_DOWNLOADS",
                "VIRTUAL_ENV"
            ]
        );
        assert_eq!(result.refused[2].hazard, EnvHazard::PythonHome);
        assert!(matches!(
            result.refused[4].hazard,
            EnvHazard::PackageManagerSetting(breaks) if breaks.contains("uv choose")
        ));
        assert!(result.neutralised.is_empty(), "{:?}", result.neutralised);
    }

    #[test]
    fn neutralises_pythonpath() {
        let result = check_build_env(&env(&[
            ("PYTHONPATH", "/app/src"),
            ("PIP_REQUIRE_VIRTUALENV", "1"),
        ]));
        assert_eq!(result.refused, []);
        assert_eq!(
            names(&result.neutralised),
            ["PIP_REQUIRE_VIRTUALENV", "PYTHONPATH"]
        );
        assert!(is_neutralised("PYTHONPATH"));
        assert!(!is_neutralised("PYTHONHOME"));
    }

    #[test]
    fn empty_and_switched_off_values_are_fine() {
        let result = check_build_env(&env(&[
            ("PYTHONHOME", " "),
            ("PIP_USER", "0"),
            ("UV_SYSTEM_PYTHON", "false"),
            ("PYTHONPATH", ""),
        ]));
        assert_eq!(result, EnvCheck::default());
        assert_eq!(
            names(&check_build_env(&env(&[("PIP_USER", "yes")])).refused),
            ["PIP_USER"]
        );
    }

    #[test]
    fn prefixes_match_only_with_a_star() {
        assert!(matches("UV_PYTHON*", "UV_PYTHON_INSTALL_DIR"));
        assert!(matches("UV_PYTHON*", "UV_PYTHON"));
        assert!(!matches("PIPENV_PYTHON", "PIPENV_PYTHON_X"));
        assert!(!matches("UV_PYTHON*", "UV_INDEX_URL"));
    }
}
