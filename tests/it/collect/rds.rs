//! RDS instances, Aurora clusters and their members, snapshots; DocumentDB's listing.

use super::*;

#[test]
fn instances_clusters_members_and_snapshots() {
    isolated(rds_body);
}

async fn rds_body(env: TestEnv) {
    use aws_sdk_rds::types::Tag;
    let config = seed_config(&env.moto, REGION).await;
    let rds = aws_sdk_rds::Client::new(&config);
    rds.create_db_instance()
        .db_instance_identifier("rd-standalone")
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("rd_admin")
        .master_user_password("rd-password-1")
        .storage_encrypted(true)
        .backup_retention_period(3)
        .publicly_accessible(true)
        .enable_cloudwatch_logs_exports("error")
        .enable_cloudwatch_logs_exports("audit")
        .tags(Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("instance");
    rds.create_db_cluster()
        .db_cluster_identifier("rd-aurora")
        .engine("aurora-postgresql")
        .master_username("rd_admin")
        .master_user_password("rd-password-1")
        .storage_encrypted(true)
        .backup_retention_period(14)
        .deletion_protection(true)
        .enable_iam_database_authentication(true)
        .send()
        .await
        .expect("cluster");
    rds.create_db_instance()
        .db_instance_identifier("rd-aurora-1")
        .db_cluster_identifier("rd-aurora")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("member");
    rds.create_db_snapshot()
        .db_instance_identifier("rd-standalone")
        .db_snapshot_identifier("rd-snap")
        .send()
        .await
        .expect("snapshot");
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier("rd-snap")
        .attribute_name("restore")
        .values_to_add("111122223333")
        .send()
        .await
        .expect("share");
    rds.create_db_cluster_snapshot()
        .db_cluster_identifier("rd-aurora")
        .db_cluster_snapshot_identifier("rd-cluster-snap")
        .send()
        .await
        .expect("cluster snapshot");
    rds.modify_db_cluster_snapshot_attribute()
        .db_cluster_snapshot_identifier("rd-cluster-snap")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .expect("public cluster snapshot");

    // The RDS API lists Neptune clusters too: they are neither RDS nor DocumentDB clusters.
    rds.create_db_cluster()
        .db_cluster_identifier("rd-neptune")
        .engine("neptune")
        .send()
        .await
        .expect("neptune cluster");

    let inventory = collect_all(&env.moto).await;

    assert!(
        inventory.resources.iter().all(|d| d.name != "rd-neptune"),
        "a Neptune cluster was collected as {:?}",
        inventory
            .resources
            .iter()
            .find(|d| d.name == "rd-neptune")
            .map(|d| &d.resource_type)
    );
    let standalone = doc(&inventory, "aws.rds.instance", "rd-standalone");
    assert!(standalone.errors.is_empty(), "{:?}", standalone.errors);
    assert_eq!(
        standalone.attributes["configuration"]["cluster_member"],
        false
    );
    assert_eq!(standalone.attributes["configuration"]["engine"], "mysql");
    assert_eq!(
        standalone.attributes["encryption"]["storage_encrypted"],
        true
    );
    assert_eq!(
        standalone.attributes["backup"],
        json!({"retention_days": 3})
    );
    assert_eq!(
        standalone.attributes["access"],
        json!({"publicly_accessible": true})
    );
    assert_eq!(
        standalone.attributes["logging"],
        json!({"exports": ["error", "audit"]})
    );
    assert_eq!(standalone.tags["team"], "payments");

    let member = doc(&inventory, "aws.rds.instance", "rd-aurora-1");
    assert_eq!(member.attributes["configuration"]["cluster_member"], true);
    assert_eq!(
        member.attributes["configuration"]["cluster_identifier"],
        "rd-aurora"
    );

    let cluster = doc(&inventory, "aws.rds.cluster", "rd-aurora");
    assert!(cluster.errors.is_empty(), "{:?}", cluster.errors);
    assert_eq!(
        cluster.attributes["configuration"]["engine"],
        "aurora-postgresql"
    );
    assert_eq!(cluster.attributes["backup"], json!({"retention_days": 14}));
    assert_eq!(
        cluster.attributes["protection"],
        json!({"deletion_protection": true})
    );
    assert_eq!(
        cluster.attributes["authentication"],
        json!({"iam_database_authentication": true})
    );
    // The Aurora cluster is not a DocumentDB cluster, whatever the emulator does with filters.
    assert!(
        inventory
            .resources
            .iter()
            .all(|d| d.resource_type != "aws.docdb.cluster"),
        "no DocumentDB cluster was created"
    );

    let snapshot = doc(&inventory, "aws.rds.snapshot", "rd-snap");
    assert!(snapshot.errors.is_empty(), "{:?}", snapshot.errors);
    assert_eq!(snapshot.attributes["configuration"]["source"], "instance");
    assert_eq!(
        snapshot.attributes["configuration"]["source_identifier"],
        "rd-standalone"
    );
    assert_eq!(
        snapshot.attributes["sharing"],
        json!({"public": false, "shared_with": ["111122223333"]})
    );
    let cluster_snapshot = doc(&inventory, "aws.rds.snapshot", "rd-cluster-snap");
    assert_eq!(
        cluster_snapshot.attributes["configuration"]["source"],
        "cluster"
    );
    assert_eq!(cluster_snapshot.attributes["sharing"]["public"], true);
    // moto's automated snapshots cannot be shared: read without a call.
    let automated: Vec<_> = inventory
        .resources
        .iter()
        .filter(|d| {
            d.resource_type == "aws.rds.snapshot"
                && d.attributes["configuration"]["snapshot_type"] == "automated"
        })
        .collect();
    for doc in automated {
        assert_eq!(
            doc.attributes["sharing"],
            json!({"public": false, "shared_with": []}),
            "{}",
            doc.name
        );
    }
}

/// `DescribeDBClusters` denied: no cluster of either type is known, and the account says so
/// for both types; instances are still read.
#[test]
fn a_denied_cluster_listing_is_an_error_for_rds_and_documentdb() {
    isolated(denied_clusters_body);
}

async fn denied_clusters_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let rds = aws_sdk_rds::Client::new(&config);
    rds.create_db_instance()
        .db_instance_identifier("rdd-instance")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("rd_admin")
        .master_user_password("rd-password-1")
        .send()
        .await
        .expect("instance");
    let proxy = FaultProxy::start(&env.moto);
    let denied = |r: &Request| {
        r.operation().as_deref() == Some("DescribeDBClusters")
            || String::from_utf8_lossy(&r.body).contains("Action=DescribeDBClusters&")
    };
    proxy.inject(
        denied,
        Fault::Status {
            status: 403,
            code: "AccessDenied".to_string(),
            message: "injected AccessDenied".to_string(),
        },
        None,
    );
    let plan = plan_of(&[
        ("aws.rds.instance", &["configuration", "encryption"]),
        ("aws.rds.cluster", &["encryption"]),
        ("aws.docdb.cluster", &["encryption"]),
    ]);
    let inventory = collect(&options(&proxy.endpoint()), &plan, &NoProgress)
        .await
        .expect("collect");
    let account = doc(&inventory, "aws.account", ACCOUNT);
    for resource_type in ["aws.rds.cluster", "aws.docdb.cluster"] {
        let error = account
            .errors
            .get(&format!("{resource_type}@{REGION}"))
            .unwrap_or_else(|| panic!("no listing error for {resource_type}"));
        assert_eq!(
            (error.code.as_str(), error.action.as_str()),
            ("AccessDenied", "rds:DescribeDBClusters"),
            "{error:?}"
        );
    }
    let instance = doc(&inventory, "aws.rds.instance", "rdd-instance");
    assert_eq!(
        instance.attributes["encryption"]["storage_encrypted"],
        false
    );
}
