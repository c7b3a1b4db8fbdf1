//! Compliance frameworks a rule may map to, and the shape of each framework's control ids, so a
//! typo in a mapping is caught when the rule loads.

use std::collections::BTreeMap;

use super::parse::Ctx;
use crate::yaml::{Kind, Node};

/// Well-known framework keys, whose control ids have a checked shape. Other keys are a team's
/// own frameworks (see `is_custom_framework`).
pub const FRAMEWORKS: &[&str] = &[
    "soc2",
    "hipaa",
    "gdpr",
    "ferpa",
    "coppa",
    "hkma-tm-g-1",
    "hkma-sa-2",
    "cis-aws-v3",
    "fsbp",
];

impl Ctx<'_> {
    pub(super) fn frameworks(&mut self, rule: &Node) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let Some(node) = rule.get("frameworks") else {
            return out;
        };
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                "`frameworks` must map a framework to a list of control ids",
            );
            return out;
        };
        for (key, value) in entries {
            let Some(name) = key.as_str() else { continue };
            if !FRAMEWORKS.contains(&name) {
                let near = crate::catalog::nearest(name, FRAMEWORKS.iter().copied());
                if let Some(known) = near.first() {
                    // Open names must not turn a typo of a known framework into a new one.
                    self.error_help(
                        key,
                        format!("unknown framework `{name}`"),
                        format!(
                            "did you mean `{known}`? A framework of your own needs a name not this close to a well-known one"
                        ),
                    );
                    continue;
                }
                if !is_custom_framework(name) {
                    self.error_help(
                        key,
                        format!("`{name}` is not a framework id"),
                        "a framework of your own is a lowercase id: letters, digits and dashes, like iso27001 or acme-policy",
                    );
                    continue;
                }
            }
            let ids: Option<Vec<String>> = match &value.kind {
                Kind::Seq(items) => items.iter().map(|i| i.as_str().map(String::from)).collect(),
                _ => None,
            };
            match ids {
                Some(ids) if !ids.is_empty() => {
                    if let Some(bad) = ids.iter().find(|id| !control_id_is_well_formed(name, id)) {
                        self.error_help(
                            value,
                            format!("`{bad}` is not a well-formed {name} control id"),
                            control_id_hint(name),
                        );
                    } else if let Some(dup) = ids
                        .iter()
                        .enumerate()
                        .find(|(i, id)| ids[..*i].contains(id))
                    {
                        self.error(
                            value,
                            format!("control id `{}` is listed twice under {name}", dup.1),
                        );
                    } else {
                        out.insert(name.to_string(), ids);
                    }
                }
                _ => self.error_help(
                    value,
                    format!(
                        "`frameworks.{name}` must be a non-empty list of control ids (strings)"
                    ),
                    "quote ids that look like numbers, e.g. [\"3.10\"]",
                ),
            }
        }
        out
    }
}

/// The shape of each framework's control ids, so a typo in a mapping is caught at load time.
fn control_id_pattern(framework: &str) -> &'static str {
    match framework {
        "soc2" => r"^(CC[1-9]\.[0-9]{1,2}|A1\.[1-3]|C1\.[1-2]|PI1\.[1-5]|P[1-8]\.[0-9])$",
        "hipaa" => r"^164\.3(08|10|12|14|16)(\([A-Za-z0-9]{1,4}\))+$",
        "gdpr" => r"^Art\.[0-9]{1,2}(\([0-9]\)(\([a-z]\))?)?$",
        "ferpa" => r"^99\.[0-9]{1,2}$",
        "coppa" => r"^312\.[0-9]{1,2}$",
        "fsbp" => r"^[A-Za-z0-9]+\.[0-9]{1,3}$",
        _ => r"^[0-9]{1,2}(\.[0-9]{1,2}){0,3}$",
    }
}

pub(crate) fn control_id_hint(framework: &str) -> &'static str {
    match framework {
        "soc2" => "SOC 2 (TSC 2017) ids look like CC6.1, A1.2, C1.2",
        "hipaa" => "HIPAA Security Rule ids look like 164.312(a)(2)(iv)",
        "gdpr" => "GDPR ids look like Art.32 or Art.5(1)(e)",
        "ferpa" => "FERPA ids are 34 CFR part 99 sections, like 99.31",
        "coppa" => "COPPA ids are 16 CFR part 312 sections, like 312.10",
        "fsbp" => "AWS Foundational Security Best Practices ids look like S3.17 or KMS.4",
        f if is_custom_framework(f) => {
            "ids of your own framework: letters, digits and . _ : ( ) / - (up to 64)"
        }
        _ => "section numbers look like 3.6 or 2.1.4 (quote them)",
    }
}

/// A team's own framework: a lowercase id (`iso27001`, `acme-policy`), up to 40 characters.
#[must_use]
pub fn is_custom_framework(name: &str) -> bool {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[a-z][a-z0-9-]{1,39}$").expect("valid pattern")
    });
    SHAPE.is_match(name) && !FRAMEWORKS.contains(&name)
}

/// Control ids of a team's own framework: any short printable id (`A.8.24`, `POL-7(b)`).
const CUSTOM_CONTROL_ID: &str = r"^[A-Za-z0-9][A-Za-z0-9 ._:()/-]{0,63}$";

pub(crate) fn control_id_is_well_formed(framework: &str, id: &str) -> bool {
    static CUSTOM: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(CUSTOM_CONTROL_ID).expect("valid pattern"));
    if is_custom_framework(framework) {
        return CUSTOM.is_match(id);
    }
    static PATTERNS: std::sync::LazyLock<std::collections::HashMap<&'static str, regex::Regex>> =
        std::sync::LazyLock::new(|| {
            FRAMEWORKS
                .iter()
                .filter_map(|f| {
                    regex::Regex::new(control_id_pattern(f))
                        .ok()
                        .map(|re| (*f, re))
                })
                .collect()
        });
    PATTERNS.get(framework).is_some_and(|re| re.is_match(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern that does not compile would silently reject every id of its framework.
    #[test]
    fn every_framework_has_a_compiling_pattern() {
        for framework in FRAMEWORKS {
            assert!(
                regex::Regex::new(control_id_pattern(framework)).is_ok(),
                "{framework}"
            );
        }
    }

    /// The ids a hint shows as examples are accepted, so the help never misleads.
    #[test]
    fn the_examples_of_each_hint_are_well_formed() {
        let examples: &[(&str, &[&str])] = &[
            ("soc2", &["CC6.1", "A1.2", "C1.2"]),
            ("hipaa", &["164.312(a)(2)(iv)"]),
            ("gdpr", &["Art.32", "Art.5(1)(e)"]),
            ("ferpa", &["99.31"]),
            ("coppa", &["312.10"]),
            ("fsbp", &["S3.17", "KMS.4"]),
            ("cis-aws-v3", &["3.6", "2.1.4"]),
        ];
        for (framework, ids) in examples {
            for id in *ids {
                assert!(control_id_is_well_formed(framework, id), "{framework} {id}");
            }
        }
    }

    #[test]
    fn malformed_ids_and_unknown_frameworks_are_rejected() {
        assert!(!control_id_is_well_formed("soc2", "6.1"));
        assert!(!control_id_is_well_formed("fsbp", "S3"));
        assert!(!control_id_is_well_formed("NoSuchFramework", "1.1"));
    }

    #[test]
    fn a_framework_of_ones_own_takes_short_printable_ids() {
        assert!(is_custom_framework("iso27001"));
        assert!(!is_custom_framework("soc2"));
        assert!(!is_custom_framework("ISO 27001"));
        assert!(control_id_is_well_formed("iso27001", "A.8.24"));
        assert!(control_id_is_well_formed("acme-policy", "POL-7(b)"));
        assert!(!control_id_is_well_formed("iso27001", ""));
        assert!(!control_id_is_well_formed("iso27001", "bad\u{7}id"));
    }
}
