//! What the inventory can vouch for: which resource types and attribute groups were collected
//! in which account, and which listings failed. A verdict that rests on data outside this is
//! undecided (ERROR), never PASS, FAIL, `NOT_APPLICABLE` or "no resources".

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::inventory::{AccountScope, CollectionError, ResourceDoc};

/// The type of the one document per account: it carries listing failures as
/// `errors["<type>@<region>"]`, and account-level findings are reported on it.
pub const ACCOUNT_TYPE: &str = "aws.account";

/// Why resources of a type in an account cannot all be known.
#[derive(Debug, Clone, PartialEq)]
pub enum Gap {
    /// The collection never asked for the type (or the group) in this account.
    NotCollected,
    /// The inventory predates coverage records and has no document of the type there.
    Unrecorded,
    /// The listing failed in these regions (`all regions` for an account not reached).
    ListingFailed(Vec<(String, CollectionError)>),
}

/// What each account's collection covered.
#[derive(Default)]
pub struct Coverage {
    /// account -> type -> groups; None when the inventory does not record it.
    accounts: HashMap<String, Option<BTreeMap<String, BTreeSet<String>>>>,
    /// (type, account) that has at least one document: what an unrecorded inventory knows.
    present: BTreeSet<(String, String)>,
    /// (type, account) -> (region, why) of each failed listing.
    failed: HashMap<(String, String), Vec<(String, CollectionError)>>,
}

impl Coverage {
    /// The coverage of `accounts` over `docs`. Accounts not listed (documents written by hand,
    /// rule tests) make no claim either way: their documents are all there is.
    #[must_use]
    pub fn new(accounts: &[AccountScope], docs: &[ResourceDoc]) -> Self {
        let mut coverage = Coverage {
            accounts: accounts
                .iter()
                .map(|scope| {
                    let collected = scope.collected.as_ref().map(|types| {
                        types
                            .iter()
                            .map(|(ty, groups)| (ty.clone(), groups.iter().cloned().collect()))
                            .collect()
                    });
                    (scope.account.clone(), collected)
                })
                .collect(),
            ..Coverage::default()
        };
        for doc in docs {
            if matches!(coverage.accounts.get(&doc.account), Some(None)) {
                coverage
                    .present
                    .insert((doc.resource_type.clone(), doc.account.clone()));
            }
            if doc.resource_type != ACCOUNT_TYPE {
                continue;
            }
            for (key, error) in &doc.errors {
                if let Some((ty, region)) = key.split_once('@') {
                    coverage
                        .failed
                        .entry((ty.to_string(), doc.account.clone()))
                        .or_default()
                        .push((region.to_string(), error.clone()));
                }
            }
        }
        coverage
    }

    /// The accounts the inventory says it scanned, sorted.
    #[must_use]
    pub fn accounts(&self) -> Vec<&str> {
        let mut accounts: Vec<&str> = self.accounts.keys().map(String::as_str).collect();
        accounts.sort_unstable();
        accounts
    }

    /// The accounts (sorted) where a listing of `resource_type` failed, scanned or not.
    #[must_use]
    pub fn failed_accounts(&self, resource_type: &str) -> Vec<String> {
        let mut accounts: Vec<String> = self
            .failed
            .keys()
            .filter(|(ty, _)| ty == resource_type)
            .map(|(_, account)| account.clone())
            .collect();
        accounts.sort_unstable();
        accounts
    }

    /// Whether the inventory says it scanned `account`.
    #[must_use]
    pub fn scanned(&self, account: &str) -> bool {
        self.accounts.contains_key(account)
    }

    /// Why the type's resources in `account` (and `region`, when known: failures elsewhere do
    /// not matter then) may not all be in the inventory; None when they are.
    #[must_use]
    pub fn type_gap(
        &self,
        resource_type: &str,
        account: &str,
        region: Option<&str>,
    ) -> Option<Gap> {
        let key = (resource_type.to_string(), account.to_string());
        if let Some(failures) = self.failed.get(&key) {
            let relevant: Vec<(String, CollectionError)> = failures
                .iter()
                .filter(|(r, _)| {
                    region.is_none_or(|wanted| r == wanted || r == "all regions" || r == "global")
                })
                .cloned()
                .collect();
            if !relevant.is_empty() {
                return Some(Gap::ListingFailed(relevant));
            }
        }
        match self.accounts.get(account) {
            None => None,
            Some(Some(types)) if types.contains_key(resource_type) => None,
            Some(Some(_)) => Some(Gap::NotCollected),
            Some(None) if self.present.contains(&key) => None,
            Some(None) => Some(Gap::Unrecorded),
        }
    }

    /// Whether `group` of the type was collected in `account`; true when the inventory makes no
    /// claim (the documents then say what they hold).
    #[must_use]
    pub fn group_collected(&self, resource_type: &str, group: &str, account: &str) -> bool {
        match self.accounts.get(account) {
            Some(Some(types)) => types.get(resource_type).is_some_and(|g| g.contains(group)),
            _ => true,
        }
    }
}

impl Gap {
    /// The gap in words, for a finding's reasons.
    #[must_use]
    pub fn describe(&self, resource_type: &str, account: &str) -> String {
        match self {
            Gap::NotCollected => {
                format!("{resource_type} was not collected in this inventory for account {account}")
            }
            Gap::Unrecorded => format!(
                "this inventory does not record what was collected in account {account} (it was \
                 written by an older posture) and holds no {resource_type}: it cannot tell \
                 whether there are none or they were not collected"
            ),
            Gap::ListingFailed(failures) => failures
                .iter()
                .map(|(region, error)| {
                    format!("{resource_type} resources in {region} could not be listed: {error}")
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(account: &str, collected: Option<&[(&str, &[&str])]>) -> AccountScope {
        AccountScope {
            collected: collected.map(|types| {
                types
                    .iter()
                    .map(|(ty, groups)| {
                        (
                            ty.to_string(),
                            groups.iter().map(ToString::to_string).collect(),
                        )
                    })
                    .collect()
            }),
            ..AccountScope::new(account, "", vec!["eu-west-1".into()])
        }
    }

    #[test]
    fn a_type_never_asked_for_is_a_gap_and_a_listed_one_is_not() {
        let accounts = [scope("1", Some(&[("aws.iam.policy", &["analysis"])]))];
        let coverage = Coverage::new(&accounts, &[]);
        assert_eq!(
            coverage.type_gap("aws.s3.bucket", "1", None),
            Some(Gap::NotCollected)
        );
        assert_eq!(coverage.type_gap("aws.iam.policy", "1", None), None);
        assert!(coverage.group_collected("aws.iam.policy", "analysis", "1"));
        assert!(!coverage.group_collected("aws.iam.policy", "tags", "1"));
        // An account the inventory does not list makes no claim.
        assert_eq!(coverage.type_gap("aws.s3.bucket", "2", None), None);
    }

    #[test]
    fn an_unrecorded_inventory_knows_only_its_documents() {
        let accounts = [scope("1", None)];
        let docs = [ResourceDoc::new("aws.kms.key", "arn:k", "1", "eu-west-1")];
        let coverage = Coverage::new(&accounts, &docs);
        assert_eq!(coverage.type_gap("aws.kms.key", "1", None), None);
        assert_eq!(
            coverage.type_gap("aws.s3.bucket", "1", None),
            Some(Gap::Unrecorded)
        );
    }

    #[test]
    fn listing_failures_count_in_their_region_only() {
        let accounts = [scope("1", Some(&[("aws.kms.key", &[])]))];
        let mut account = ResourceDoc::new(ACCOUNT_TYPE, "arn:aws:iam::1:root", "1", "global");
        account.errors.insert(
            "aws.kms.key@us-east-1".into(),
            CollectionError::from_reason("denied"),
        );
        let coverage = Coverage::new(&accounts, &[account]);
        assert!(matches!(
            coverage.type_gap("aws.kms.key", "1", None),
            Some(Gap::ListingFailed(f)) if f.len() == 1
        ));
        assert!(
            coverage
                .type_gap("aws.kms.key", "1", Some("us-east-1"))
                .is_some()
        );
        assert_eq!(
            coverage.type_gap("aws.kms.key", "1", Some("eu-west-1")),
            None
        );
    }
}
