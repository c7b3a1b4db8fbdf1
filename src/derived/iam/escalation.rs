//! The privilege-escalation catalog, `rules/iam/escalation-paths.data.yaml`, built into the
//! binary and read once: which action sets let a principal grant itself more, and on what kind
//! of resource the key action must be allowed for the path to be real.

use std::sync::OnceLock;

use serde::Deserialize;

/// The catalog as shipped with the rule pack.
const CATALOG: &str = include_str!("../../../rules/iam/escalation-paths.data.yaml");

/// The kinds of resource a key action can be aimed at.
pub const TARGETS: &[&str] = &[
    "policy",
    "user",
    "group",
    "role",
    "function",
    "instance",
    "stack",
    "notebook",
    "dev-endpoint",
    "job",
    "project",
    "pipeline",
    "cluster",
    "any",
];

/// One escalation path of the catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationPath {
    /// Stable name, reported in findings.
    pub id: String,
    /// Every action the path needs, exact IAM names, the key action first.
    pub actions: Vec<String>,
    /// What the key action must be allowed on.
    pub target: String,
    /// Where the path is published.
    pub source: String,
    /// What else the path needs in the account.
    #[serde(default)]
    pub note: String,
    /// `trusting-role`: real only when a role's trust policy admits the principal.
    #[serde(default)]
    pub needs: Option<String>,
}

impl EscalationPath {
    /// Whether the path can be decided from one policy document, without the principal.
    #[must_use]
    pub fn judged_on_a_policy(&self) -> bool {
        self.needs.is_none()
    }
}

/// The catalog the derivations use: the one installed from the loaded rule pack, else the one
/// built into the binary. A malformed built-in catalog is a build mistake that `cargo test`
/// catches, so the scan then knows no paths rather than aborting.
pub fn catalog() -> &'static [EscalationPath] {
    if let Some(installed) = INSTALLED.get() {
        return installed;
    }
    static BUILT_IN: OnceLock<Vec<EscalationPath>> = OnceLock::new();
    BUILT_IN.get_or_init(|| parse(CATALOG).unwrap_or_default())
}

/// The catalog of the rule pack this process loaded (`escalation-paths.data.yaml` under
/// `--rules`); set once, before any document is derived.
static INSTALLED: OnceLock<Vec<EscalationPath>> = OnceLock::new();

/// Makes `paths` the catalog for the rest of the process. False when one was installed
/// already (a process loads one rule pack).
pub fn install(paths: Vec<EscalationPath>) -> bool {
    INSTALLED.set(paths).is_ok()
}

/// Why a catalog text is not a catalog, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogError {
    /// The entry (or YAML node) at fault.
    pub pos: crate::yaml::Pos,
    /// What is wrong with it.
    pub message: String,
}

/// Parses and checks a catalog text: a list of paths, each checked where it is written.
pub fn parse(text: &str) -> Result<Vec<EscalationPath>, CatalogError> {
    use crate::yaml::Kind;
    let docs = crate::yaml::parse(text).map_err(|e| CatalogError {
        pos: e.pos,
        message: e.message,
    })?;
    let at = |pos: crate::yaml::Pos, message: String| CatalogError { pos, message };
    let Some(root) = docs.first() else {
        return Err(at(
            crate::yaml::Pos::default(),
            "the escalation catalog is empty".into(),
        ));
    };
    let Kind::Seq(items) = &root.kind else {
        return Err(at(
            root.pos,
            "an escalation catalog is a list of paths".into(),
        ));
    };
    let mut ids = std::collections::BTreeSet::new();
    let mut paths = Vec::with_capacity(items.len());
    for item in items {
        let path: EscalationPath = serde_json::from_value(item.to_json())
            .map_err(|e| at(item.pos, format!("not an escalation path: {e}")))?;
        if !ids.insert(path.id.clone()) {
            return Err(at(item.pos, format!("path id `{}` appears twice", path.id)));
        }
        if path.actions.is_empty() {
            return Err(at(item.pos, format!("path `{}` has no actions", path.id)));
        }
        if let Some(bad) = path.actions.iter().find(|a| {
            a.split_once(':')
                .is_none_or(|(s, n)| s.is_empty() || n.is_empty() || n.contains('*'))
        }) {
            return Err(at(
                item.pos,
                format!(
                    "path `{}`: `{bad}` is not an action name (service:Action)",
                    path.id
                ),
            ));
        }
        if !TARGETS.contains(&path.target.as_str()) {
            return Err(at(
                item.pos,
                format!(
                    "path `{}`: unknown target `{}` (one of {})",
                    path.id,
                    path.target,
                    TARGETS.join(", ")
                ),
            ));
        }
        if let Some(needs) = &path.needs
            && needs != "trusting-role"
        {
            return Err(at(
                item.pos,
                format!("path `{}`: unknown need `{needs}`", path.id),
            ));
        }
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_loads_and_every_action_is_a_real_iam_action() {
        let paths = parse(CATALOG).expect("the shipped catalog parses");
        assert!(paths.len() >= 60, "{} paths", paths.len());
        let known = include_str!("../../../tests/data/iam-actions.txt");
        let known: std::collections::HashSet<&str> =
            known.lines().filter(|l| !l.starts_with('#')).collect();
        let unknown: Vec<String> = paths
            .iter()
            .flat_map(|p| p.actions.iter().map(move |a| (p, a)))
            .filter(|(_, a)| !known.contains(a.as_str()))
            .map(|(p, a)| format!("{}: {a}", p.id))
            .collect();
        assert!(
            unknown.is_empty(),
            "not in the Service Authorization Reference: {unknown:?}"
        );
        for required in [
            "iam-passrole-sagemaker-create-training-job",
            "iam-passrole-sagemaker-create-processing-job",
            "iam-passrole-codebuild-create-project-start-build",
            "iam-passrole-datapipeline-create-pipeline",
            "cloudformation-update-stack",
            "cloudformation-set-stack-policy-update-stack",
            "sagemaker-create-presigned-notebook-instance-url",
            "ssm-send-command",
            "ssm-start-session",
            "ec2-instance-connect-send-ssh-public-key",
            "sts-assume-role",
            "iam-passrole-glue-create-job-start-job-run",
        ] {
            assert!(paths.iter().any(|p| p.id == required), "missing {required}");
        }
    }

    #[test]
    fn a_bad_catalog_is_an_error_with_the_reason() {
        let twice = "- { id: a, actions: [iam:PassRole], target: role, source: s }\n- { id: a, actions: [iam:PassRole], target: role, source: s }\n";
        let error = parse(twice).unwrap_err();
        assert!(error.message.contains("twice"), "{error:?}");
        assert_eq!(error.pos.line, 2, "the second entry is at fault");
        let wildcard = "- { id: a, actions: [iam:*], target: role, source: s }\n";
        assert!(
            parse(wildcard)
                .unwrap_err()
                .message
                .contains("not an action name")
        );
        let target = "- { id: a, actions: [iam:PassRole], target: moon, source: s }\n";
        assert!(
            parse(target)
                .unwrap_err()
                .message
                .contains("unknown target")
        );
        assert!(
            parse("id: a\n")
                .unwrap_err()
                .message
                .contains("a list of paths")
        );
        let field = "- { id: a, actions: [iam:PassRole], target: role, source: s, extra: 1 }\n";
        assert!(parse(field).is_err());
    }
}
