//! Dependency groups to install besides the production dependencies
//! (`BP_PYTHON_DEPENDENCY_GROUPS`), checked against the groups the app's files define, as each
//! package manager's declaration reads them (PEP 735 `[dependency-groups]`, Poetry's
//! `[tool.poetry.group.<name>]`, Pipfile categories, ...). Names compare PEP 735-normalised.

use crate::package_managers::PackageManager;
use crate::package_name::normalize_name;
use crate::project::Project;
use bullet_stream::global::print;
use bullet_stream::style;
use std::collections::BTreeSet;

/// The variable that names the groups.
pub(crate) const VARIABLE: &str = "BP_PYTHON_DEPENDENCY_GROUPS";

/// The groups requested, normalised, deduplicated and sorted (empty: production only).
pub(crate) fn parse(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|name| !name.is_empty())
        .map(normalize_name)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Says which dependency groups are installed besides the production dependencies.
pub(crate) fn announce(groups: &[String]) {
    if !groups.is_empty() {
        print::sub_bullet(format!(
            "Installing the dependency groups {} too ({})",
            groups
                .iter()
                .map(style::value)
                .collect::<Vec<_>>()
                .join(", "),
            style::value(VARIABLE)
        ));
    }
}

/// Requested groups the app does not define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownGroups {
    pub(crate) package_manager: PackageManager,
    /// Where the groups are defined (`pyproject.toml`, `Pipfile`).
    pub(crate) file: &'static str,
    pub(crate) unknown: Vec<String>,
    pub(crate) defined: Vec<String>,
}

/// The file that defines a package manager's groups.
pub(crate) fn groups_file(package_manager: PackageManager) -> &'static str {
    package_manager.declaration().groups.file
}

/// Checks `requested` against the groups the app defines for `package_manager`.
pub(crate) fn check_defined(
    project: &Project,
    package_manager: PackageManager,
    requested: &[String],
) -> Result<(), UnknownGroups> {
    if requested.is_empty() {
        return Ok(());
    }
    let file = groups_file(package_manager);
    let defined = defined(
        package_manager,
        project.table(file).unwrap_or(&toml::Table::new()),
    );
    let unknown: Vec<String> = requested
        .iter()
        .filter(|name| !defined.contains(name))
        .cloned()
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(UnknownGroups {
            package_manager,
            file,
            unknown,
            defined,
        })
    }
}

/// The groups a parsed `pyproject.toml` or `Pipfile` defines, normalised and sorted.
fn defined(package_manager: PackageManager, table: &toml::Table) -> Vec<String> {
    let mut names: Vec<String> = (package_manager.declaration().groups.defined)(table)
        .iter()
        .map(|name| normalize_name(name))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defined_in(package_manager: PackageManager, text: &str) -> Vec<String> {
        defined(package_manager, &toml::from_str(text).unwrap())
    }

    #[test]
    fn parsing_the_variable() {
        assert_eq!(parse(""), Vec::<String>::new());
        assert_eq!(
            parse("dev, Test_Tools  docs,dev"),
            ["dev", "docs", "test-tools"]
        );
    }

    #[test]
    fn groups_of_each_package_manager() {
        let pyproject = "[dependency-groups]\ndev = []\nLint_Tools = []\n[tool.uv]\ndev-dependencies = []\n[tool.poetry.group.test.dependencies]\npytest = \"*\"\n";
        assert_eq!(
            defined_in(PackageManager::Pip, pyproject),
            ["dev", "lint-tools"]
        );
        assert_eq!(
            defined_in(PackageManager::Uv, pyproject),
            ["dev", "lint-tools"]
        );
        assert_eq!(
            defined_in(PackageManager::Poetry, pyproject),
            ["dev", "lint-tools", "test"]
        );
        let pipfile = "[[source]]\nurl = \"x\"\n[packages]\nsix = \"*\"\n[dev-packages]\npytest = \"*\"\n[docs]\nsphinx = \"*\"\n[requires]\npython_version = \"3.13\"\n";
        assert_eq!(defined_in(PackageManager::Pipenv, pipfile), ["dev", "docs"]);
    }

    #[test]
    fn unknown_groups_name_the_defined_ones() {
        let project = Project::from_files(
            std::path::Path::new("/app"),
            &[("pyproject.toml", "[dependency-groups]\ndev = []\n")],
        );
        assert_eq!(
            check_defined(&project, PackageManager::Uv, &["dev".to_string()]),
            Ok(())
        );
        assert_eq!(
            check_defined(
                &project,
                PackageManager::Uv,
                &["dev".to_string(), "docs".to_string()]
            ),
            Err(UnknownGroups {
                package_manager: PackageManager::Uv,
                file: "pyproject.toml",
                unknown: vec!["docs".to_string()],
                defined: vec!["dev".to_string()],
            })
        );
        assert_eq!(check_defined(&project, PackageManager::Uv, &[]), Ok(()));
    }
}
