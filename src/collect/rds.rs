//! RDS and `DocumentDB` of one region: DB instances, DB clusters (Aurora and Multi-AZ), `DocumentDB`
//! clusters, and DB and DB cluster snapshots. The Describe listings carry every attribute the
//! catalog names and the tags (`TagList`), so each type costs one request per page of 100; only
//! a snapshot's sharing needs a request of its own (automated snapshots cannot be shared).
//!
//! `DocumentDB` is read through the RDS API it shares (the same endpoint and `rds:` actions):
//! RDS's `DescribeDBInstances` and `DescribeDBClusters` return `DocumentDB` and Neptune
//! instances and clusters too. One cluster listing serves `aws.rds.cluster` and
//! `aws.docdb.cluster` by engine; `DocumentDB` and Neptune instances are left out of
//! `aws.rds.instance` (their clusters are judged), and their snapshots stay `aws.rds.snapshot`s:
//! sharing and encryption mean the same for them.

use aws_sdk_rds::types::{DbCluster, DbInstance, Tag};
use serde_json::{Value, json};

use super::util::{object, opt_str, tag_map};
use super::{Scope, Service};
use crate::inventory::ResourceDoc;

const INSTANCE: &str = "aws.rds.instance";
const CLUSTER: &str = "aws.rds.cluster";
const DOCDB: &str = "aws.docdb.cluster";
const SNAPSHOT: &str = "aws.rds.snapshot";

/// Engines whose instances and clusters the RDS API lists but that are other services'.
const NOT_RDS_ENGINES: [&str; 2] = ["docdb", "neptune"];

/// Whether a listed instance or cluster is RDS's own (an unknown engine counts as RDS: it is
/// judged rather than dropped).
fn rds_engine(engine: Option<&str>) -> bool {
    !engine.is_some_and(|e| NOT_RDS_ENGINES.contains(&e))
}

pub(crate) async fn collect(scope: &Scope<'_>) -> Vec<ResourceDoc> {
    let client = aws_sdk_rds::Client::new(&scope.config);
    let (instances, clusters, snapshots) = futures::join!(
        instances(scope, &client),
        clusters(scope, &client),
        snapshots(scope, &client),
    );
    let mut docs = instances;
    docs.extend(clusters);
    docs.extend(snapshots);
    docs
}

/// The settings instances and clusters share, under the same group names so that one rule can
/// judge both.
struct Settings<'a> {
    storage_encrypted: Option<bool>,
    kms_key_id: Option<&'a str>,
    retention_days: Option<i32>,
    deletion_protection: Option<bool>,
    exports: &'a [String],
    /// Instances and RDS clusters only (the `DocumentDB` type has neither group).
    iam_database_authentication: Option<bool>,
    multi_az: Option<bool>,
}

impl Settings<'_> {
    fn set(&self, scope: &Scope<'_>, resource_type: &str, doc: &mut ResourceDoc) {
        // Absent values stay absent: a rule then FAILs on "is absent", never PASSes on a guess.
        scope.set_wanted(
            resource_type,
            doc,
            [
                (
                    "encryption",
                    object(vec![
                        ("storage_encrypted", json!(self.storage_encrypted)),
                        ("kms_key_id", opt_str(self.kms_key_id)),
                    ]),
                ),
                (
                    "backup",
                    object(vec![("retention_days", json!(self.retention_days))]),
                ),
                (
                    "protection",
                    object(vec![(
                        "deletion_protection",
                        json!(self.deletion_protection),
                    )]),
                ),
                ("logging", json!({ "exports": self.exports })),
                (
                    "authentication",
                    object(vec![(
                        "iam_database_authentication",
                        json!(self.iam_database_authentication),
                    )]),
                ),
                (
                    "availability",
                    object(vec![("multi_az", json!(self.multi_az))]),
                ),
            ],
        );
    }
}

fn tags(tags: &[Tag]) -> std::collections::BTreeMap<String, String> {
    tag_map(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))),
    )
}

async fn instances(scope: &Scope<'_>, client: &aws_sdk_rds::Client) -> Vec<ResourceDoc> {
    let pages = client
        .describe_db_instances()
        .max_records(100)
        .into_paginator()
        .send();
    let Some(pages) = scope
        .listing(INSTANCE, Service::Rds, "rds:DescribeDBInstances", pages)
        .await
    else {
        return Vec::new();
    };
    let docs = pages
        .iter()
        .flat_map(
            aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput::db_instances,
        )
        // DocumentDB and Neptune instances are listed here too; their clusters are judged.
        .filter(|db| rds_engine(db.engine()))
        .filter_map(|db| instance_doc(scope, db))
        .collect();
    scope.done(docs)
}

fn instance_doc(scope: &Scope<'_>, db: &DbInstance) -> Option<ResourceDoc> {
    let name = db.db_instance_identifier()?;
    let arn = db
        .db_instance_arn()
        .map_or_else(|| scope.arn("rds", &format!("db:{name}")), str::to_string);
    let mut doc = scope.doc(INSTANCE, arn, name);
    if scope.wants(INSTANCE, "configuration") {
        doc.set(
            "configuration",
            object(vec![
                ("engine", opt_str(db.engine())),
                ("engine_version", opt_str(db.engine_version())),
                ("instance_class", opt_str(db.db_instance_class())),
                ("status", opt_str(db.db_instance_status())),
                ("cluster_identifier", opt_str(db.db_cluster_identifier())),
                (
                    "cluster_member",
                    json!(db.db_cluster_identifier().is_some()),
                ),
            ]),
        );
    }
    Settings {
        storage_encrypted: db.storage_encrypted(),
        kms_key_id: db.kms_key_id(),
        retention_days: db.backup_retention_period(),
        deletion_protection: db.deletion_protection(),
        exports: db.enabled_cloudwatch_logs_exports(),
        iam_database_authentication: db.iam_database_authentication_enabled(),
        multi_az: db.multi_az(),
    }
    .set(scope, INSTANCE, &mut doc);
    scope.set_wanted(
        INSTANCE,
        &mut doc,
        [(
            "access",
            object(vec![(
                "publicly_accessible",
                json!(db.publicly_accessible()),
            )]),
        )],
    );
    if scope.wants(INSTANCE, "tags") {
        doc.tags = tags(db.tag_list());
    }
    Some(doc)
}

/// RDS clusters and `DocumentDB` clusters from one `DescribeDBClusters` listing, which returns
/// both (and Neptune's, left out): asking twice, once with an engine filter, would only repeat
/// the requests. A failed listing leaves both types unknown in the region.
async fn clusters(scope: &Scope<'_>, client: &aws_sdk_rds::Client) -> Vec<ResourceDoc> {
    const ACTION: &str = "rds:DescribeDBClusters";
    let wanted: Vec<&str> = [CLUSTER, DOCDB]
        .into_iter()
        .filter(|t| scope.wants_type(t))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let pages = client
        .describe_db_clusters()
        .max_records(100)
        .into_paginator()
        .send();
    let pages = match scope.pages(Service::Rds, ACTION, pages).await {
        Ok(pages) => pages,
        Err(error) => {
            for resource_type in wanted {
                scope.listing_failed(resource_type, error.clone());
            }
            return Vec::new();
        }
    };
    let docs = pages
        .iter()
        .flat_map(
            aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput::db_clusters,
        )
        .filter_map(|c| {
            let resource_type = cluster_type(c.engine())?;
            wanted
                .contains(&resource_type)
                .then(|| cluster_doc(scope, resource_type, c))
                .flatten()
        })
        .collect();
    scope.done(docs)
}

/// The catalog type of a listed cluster: DocumentDB's, RDS's, or none (Neptune).
fn cluster_type(engine: Option<&str>) -> Option<&'static str> {
    match engine {
        Some("docdb") => Some(DOCDB),
        Some("neptune") => None,
        _ => Some(CLUSTER),
    }
}

fn cluster_doc(scope: &Scope<'_>, resource_type: &str, c: &DbCluster) -> Option<ResourceDoc> {
    let name = c.db_cluster_identifier()?;
    let arn = c.db_cluster_arn().map_or_else(
        || scope.arn("rds", &format!("cluster:{name}")),
        str::to_string,
    );
    let mut doc = scope.doc(resource_type, arn, name);
    if scope.wants(resource_type, "configuration") {
        doc.set(
            "configuration",
            object(vec![
                ("engine", opt_str(c.engine())),
                ("engine_version", opt_str(c.engine_version())),
                ("status", opt_str(c.status())),
                ("cluster_member", json!(false)),
            ]),
        );
    }
    Settings {
        storage_encrypted: c.storage_encrypted(),
        kms_key_id: c.kms_key_id(),
        retention_days: c.backup_retention_period(),
        deletion_protection: c.deletion_protection(),
        exports: c.enabled_cloudwatch_logs_exports(),
        iam_database_authentication: c.iam_database_authentication_enabled(),
        multi_az: c.multi_az(),
    }
    .set(scope, resource_type, &mut doc);
    if scope.wants(resource_type, "tags") {
        doc.tags = tags(c.tag_list());
    }
    Some(doc)
}

/// One snapshot as listed, before its sharing is read.
struct Snapshot {
    doc: ResourceDoc,
    /// Automated snapshots cannot be shared and are read without a call; every other kind
    /// (manual, AWS Backup's) is asked.
    shareable: bool,
    source: &'static str,
}

async fn snapshots(scope: &Scope<'_>, client: &aws_sdk_rds::Client) -> Vec<ResourceDoc> {
    if !scope.wants_type(SNAPSHOT) {
        return Vec::new();
    }
    let instance_pages = client
        .describe_db_snapshots()
        .max_records(100)
        .into_paginator()
        .send();
    let cluster_pages = client
        .describe_db_cluster_snapshots()
        .max_records(100)
        .into_paginator()
        .send();
    let (instance_pages, cluster_pages) = futures::join!(
        scope.listing(
            SNAPSHOT,
            Service::Rds,
            "rds:DescribeDBSnapshots",
            instance_pages
        ),
        scope.listing(
            SNAPSHOT,
            Service::Rds,
            "rds:DescribeDBClusterSnapshots",
            cluster_pages
        ),
    );
    let mut listed = Vec::new();
    for s in instance_pages.iter().flatten().flat_map(
        aws_sdk_rds::operation::describe_db_snapshots::DescribeDbSnapshotsOutput::db_snapshots,
    ) {
        let Some(name) = s.db_snapshot_identifier() else {
            continue;
        };
        let arn = s.db_snapshot_arn().map_or_else(
            || scope.arn("rds", &format!("snapshot:{name}")),
            str::to_string,
        );
        let doc = snapshot_doc(
            scope,
            (arn, name),
            (
                "instance",
                s.snapshot_type(),
                s.db_instance_identifier(),
                s.engine(),
            ),
            (s.encrypted(), s.kms_key_id()),
            s.tag_list(),
        );
        listed.push(Snapshot {
            doc,
            shareable: s.snapshot_type() != Some("automated"),
            source: "instance",
        });
    }
    for s in cluster_pages
        .iter()
        .flatten()
        .flat_map(aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDbClusterSnapshotsOutput::db_cluster_snapshots)
    {
        let Some(name) = s.db_cluster_snapshot_identifier() else {
            continue;
        };
        let arn = s.db_cluster_snapshot_arn().map_or_else(
            || scope.arn("rds", &format!("cluster-snapshot:{name}")),
            str::to_string,
        );
        let doc = snapshot_doc(
            scope,
            (arn, name),
            (
                "cluster",
                s.snapshot_type(),
                s.db_cluster_identifier(),
                s.engine(),
            ),
            (s.storage_encrypted(), s.kms_key_id()),
            s.tag_list(),
        );
        listed.push(Snapshot {
            doc,
            shareable: s.snapshot_type() != Some("automated"),
            source: "cluster",
        });
    }
    scope
        .each(listed, |snapshot| async move {
            let Snapshot {
                mut doc,
                shareable,
                source,
            } = snapshot;
            if !scope.wants(SNAPSHOT, "sharing") {
                return doc;
            }
            if !shareable {
                doc.set("sharing", json!({ "public": false, "shared_with": [] }));
                return doc;
            }
            let restore = if source == "instance" {
                let request = client
                    .describe_db_snapshot_attributes()
                    .db_snapshot_identifier(&doc.name)
                    .send();
                scope
                    .read(Service::Rds, "rds:DescribeDBSnapshotAttributes", request)
                    .await
                    .map(|out| {
                        restore_values(out.db_snapshot_attributes_result().map(|r| {
                            r.db_snapshot_attributes()
                                .iter()
                                .map(|a| (a.attribute_name(), a.attribute_values()))
                                .collect()
                        }))
                    })
            } else {
                let request = client
                    .describe_db_cluster_snapshot_attributes()
                    .db_cluster_snapshot_identifier(&doc.name)
                    .send();
                scope
                    .read(
                        Service::Rds,
                        "rds:DescribeDBClusterSnapshotAttributes",
                        request,
                    )
                    .await
                    .map(|out| {
                        restore_values(out.db_cluster_snapshot_attributes_result().map(|r| {
                            r.db_cluster_snapshot_attributes()
                                .iter()
                                .map(|a| (a.attribute_name(), a.attribute_values()))
                                .collect()
                        }))
                    })
            };
            match restore {
                Ok(values) => doc.set("sharing", sharing(&values)),
                Err(e) => doc.fail("sharing", e),
            }
            doc
        })
        .await
}

fn snapshot_doc(
    scope: &Scope<'_>,
    (arn, name): (String, &str),
    (source, snapshot_type, source_identifier, engine): (
        &str,
        Option<&str>,
        Option<&str>,
        Option<&str>,
    ),
    (encrypted, kms_key_id): (Option<bool>, Option<&str>),
    tag_list: &[Tag],
) -> ResourceDoc {
    let mut doc = scope.doc(SNAPSHOT, arn, name);
    if scope.wants(SNAPSHOT, "configuration") {
        doc.set(
            "configuration",
            object(vec![
                ("source", json!(source)),
                ("snapshot_type", opt_str(snapshot_type)),
                ("source_identifier", opt_str(source_identifier)),
                ("engine", opt_str(engine)),
            ]),
        );
    }
    if scope.wants(SNAPSHOT, "encryption") {
        doc.set(
            "encryption",
            object(vec![
                ("storage_encrypted", json!(encrypted)),
                ("kms_key_id", opt_str(kms_key_id)),
            ]),
        );
    }
    if scope.wants(SNAPSHOT, "tags") {
        doc.tags = tags(tag_list);
    }
    doc
}

/// The values of the `restore` attribute (who may restore), from (name, values) pairs.
fn restore_values(attributes: Option<Vec<(Option<&str>, &[String])>>) -> Vec<String> {
    attributes
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| *name == Some("restore"))
        .flat_map(|(_, values)| values.iter().cloned())
        .collect()
}

/// `all` among the restore values makes the snapshot public; the rest are account ids.
fn sharing(values: &[String]) -> Value {
    json!({
        "public": values.iter().any(|v| v == "all"),
        "shared_with": values.iter().filter(|v| *v != "all").collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentdb_and_neptune_are_not_rds() {
        assert_eq!(cluster_type(Some("docdb")), Some(DOCDB));
        assert_eq!(cluster_type(Some("aurora-mysql")), Some(CLUSTER));
        assert_eq!(cluster_type(None), Some(CLUSTER));
        assert_eq!(cluster_type(Some("neptune")), None);
        assert!(rds_engine(Some("aurora-postgresql")));
        assert!(rds_engine(Some("sqlserver-se")));
        assert!(rds_engine(None));
        assert!(!rds_engine(Some("docdb")));
        assert!(!rds_engine(Some("neptune")));
    }

    #[test]
    fn all_in_the_restore_attribute_is_public() {
        let shared = vec!["111122223333".to_string()];
        assert_eq!(
            sharing(&shared),
            json!({"public": false, "shared_with": ["111122223333"]})
        );
        let public = vec!["all".to_string(), "111122223333".to_string()];
        assert_eq!(
            sharing(&public),
            json!({"public": true, "shared_with": ["111122223333"]})
        );
        let other = ["x".to_string()];
        let values = restore_values(Some(vec![
            (Some("other"), other.as_slice()),
            (Some("restore"), public.as_slice()),
        ]));
        assert_eq!(values, public);
    }
}
