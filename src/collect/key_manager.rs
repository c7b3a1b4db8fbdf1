//! Who manages a KMS key a resource is encrypted with: AWS or the customer, as `kms:DescribeKey`
//! reports it (`KeyManager`). Services such as `DynamoDB` report `key/<uuid>` ARNs for the AWS
//! managed key too, so the ARN text cannot tell; one `DescribeKey` per distinct key and region
//! can. Shared by the tables of one region so a key used by a thousand tables is read once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::{Scope, Service};
use crate::inventory::CollectionError;

const ACTION: &str = "kms:DescribeKey";

type Answer = Result<String, CollectionError>;

/// `KeyManager` of each key asked for, read at most once per key.
pub(crate) struct KeyManagers {
    client: aws_sdk_kms::Client,
    known: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
}

impl KeyManagers {
    pub(crate) fn new(scope: &Scope<'_>) -> Self {
        KeyManagers {
            client: aws_sdk_kms::Client::new(&scope.config),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// `AWS` or `CUSTOMER` for the key `key` (an ARN, a key id or an alias). A key of another
    /// account is the customer's without asking: AWS managed keys serve only their own account.
    pub(crate) async fn manager_of(&self, scope: &Scope<'_>, key: &str) -> Answer {
        if let Some(known) = known_without_asking(key, &scope.account) {
            return Ok(known.to_string());
        }
        let cell = {
            let mut known = match self.known.lock() {
                Ok(known) => known,
                Err(poisoned) => poisoned.into_inner(),
            };
            Arc::clone(known.entry(key.to_string()).or_default())
        };
        cell.get_or_init(|| self.describe(scope, key)).await.clone()
    }

    async fn describe(&self, scope: &Scope<'_>, key: &str) -> Answer {
        let request = self.client.describe_key().key_id(key).send();
        let out = scope.read(Service::Kms, ACTION, request).await?;
        out.key_metadata()
            .and_then(|m| m.key_manager())
            .map(|m| m.as_str().to_string())
            .ok_or_else(|| {
                CollectionError::new(
                    ACTION,
                    "EmptyResponse",
                    "DescribeKey returned no KeyManager",
                )
            })
    }
}

/// The manager a key reference shows by itself: an `alias/aws/...` alias is AWS managed, and a
/// key ARN of another account is the customer's. Anything else needs `DescribeKey`.
fn known_without_asking(key: &str, account: &str) -> Option<&'static str> {
    let resource = key.rsplit(':').next().unwrap_or(key);
    if resource.starts_with("alias/aws/") {
        return Some("AWS");
    }
    let fields: Vec<&str> = key.splitn(6, ':').collect();
    match fields.as_slice() {
        ["arn", _, "kms", _, key_account, _]
            if !key_account.is_empty() && *key_account != account =>
        {
            Some("CUSTOMER")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::known_without_asking;

    #[test]
    fn only_aws_aliases_and_foreign_keys_are_known_without_describe_key() {
        let own = "111122223333";
        assert_eq!(known_without_asking("alias/aws/dynamodb", own), Some("AWS"));
        assert_eq!(
            known_without_asking("arn:aws:kms:eu-west-1:111122223333:alias/aws/dynamodb", own),
            Some("AWS")
        );
        assert_eq!(
            known_without_asking("arn:aws:kms:eu-west-1:444455556666:key/1234", own),
            Some("CUSTOMER")
        );
        // The AWS managed key is reported as key/<uuid> of the own account: must be asked.
        assert_eq!(
            known_without_asking("arn:aws:kms:eu-west-1:111122223333:key/1234", own),
            None
        );
        assert_eq!(known_without_asking("alias/my-key", own), None);
        assert_eq!(known_without_asking("1234abcd-12ab", own), None);
    }
}
