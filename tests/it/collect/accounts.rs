//! Targets: assumed roles, profiles, unreachable accounts, every enabled region.

use super::*;

#[test]
fn assumed_role_identity_and_region_errors() {
    isolated(assumed_role_body);
}

async fn assumed_role_body(env: TestEnv) {
    let plan = plan_of(&[("aws.account", &["identity"])]);
    let options = CollectOptions {
        role_arns: vec![format!("arn:aws:iam::{ACCOUNT}:role/arie-scanner")],
        external_id: Some("arie-external".to_string()),
        role_session_name: "arie-session".to_string(),
        ..options(&env.moto)
    };
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    assert_eq!(inventory.resources.len(), 1);
    let account = &inventory.resources[0];
    assert_eq!(account.resource_type, "aws.account");
    let caller = account.attributes["identity"]["caller_arn"]
        .as_str()
        .expect("caller arn");
    assert!(
        caller.contains("assumed-role/arie-scanner/arie-session"),
        "{caller}"
    );
    assert_eq!(inventory.accounts.len(), 1);
    assert_eq!(inventory.accounts[0].caller_arn, caller);

    // moto has no account:ListRegions: "all regions" must fail with advice, not scan nothing.
    let all = CollectOptions {
        regions: RegionSelection::All,
        max_attempts: 1,
        ..crate::support::options(&env.moto)
    };
    let error = collect(&all, &plan, &NoProgress)
        .await
        .expect_err("ListRegions is not available");
    assert!(format!("{error:#}").contains("--regions"), "{error:#}");
}

// ---------------------------------------------------------------- --regions all

#[test]
fn all_enabled_regions_are_scanned() {
    isolated(all_regions_body);
}

fn is_list_regions(request: &Request) -> bool {
    request.service().as_deref() == Some("account") && request.path() == "/listRegions"
}

async fn all_regions_body(env: TestEnv) {
    for region in ["us-east-1", "eu-west-1", "ap-south-1"] {
        aws_sdk_kms::Client::new(&seed_config(&env.moto, region).await)
            .create_key()
            .description(format!("arg-{region}"))
            .send()
            .await
            .expect("key");
    }
    // moto has no Account API: the proxy answers ListRegions as AWS would for an account that
    // opted in to eu-west-1 (ap-south-1 is left out: not enabled).
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        is_list_regions,
        Fault::Json(
            json!({"Regions": [
                {"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED"},
                {"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}
            ]})
            .to_string(),
        ),
        None,
    );
    let all_regions = CollectOptions {
        regions: RegionSelection::All,
        ..options(&proxy.endpoint())
    };
    let plan = plan_of(&[("aws.kms.key", &["metadata"])]);
    let inventory = collect(&all_regions, &plan, &NoProgress)
        .await
        .expect("collect");
    assert_eq!(inventory.accounts[0].regions, ["us-east-1", "eu-west-1"]);
    let regions_of_keys: std::collections::BTreeSet<&str> = inventory
        .resources
        .iter()
        .filter(|d| d.resource_type == "aws.kms.key")
        .map(|d| d.region.as_str())
        .collect();
    assert_eq!(
        regions_of_keys,
        ["eu-west-1", "us-east-1"].into_iter().collect(),
        "keys of enabled regions only"
    );
    let asked = proxy
        .requests()
        .into_iter()
        .find(is_list_regions)
        .expect("ListRegions sent");
    let body = String::from_utf8_lossy(&asked.body).to_string();
    assert!(
        body.contains("ENABLED") && body.contains("ENABLED_BY_DEFAULT"),
        "asks for enabled regions only: {body}"
    );

    // Without ListRegions there is no way to know the regions: say so, and how to go on.
    let proxy = FaultProxy::start(&env.moto);
    proxy.inject(
        is_list_regions,
        Fault::Status {
            status: 403,
            code: "AccessDeniedException".to_string(),
            message: "injected".to_string(),
        },
        None,
    );
    let all_regions = CollectOptions {
        regions: RegionSelection::All,
        ..options(&proxy.endpoint())
    };
    let error = collect(&all_regions, &plan, &NoProgress)
        .await
        .expect_err("no regions, no scan")
        .to_string();
    assert!(
        error.contains("account:ListRegions") && error.contains("--regions"),
        "{error}"
    );
}

// ---------------------------------------------------------------- accounts, profiles, scale

#[test]
fn one_document_set_per_assumed_account() {
    isolated(accounts_body);
}

async fn accounts_body(env: TestEnv) {
    let accounts = ["111111111111", "222222222222"];
    let roles: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:role/acc-scanner"))
        .collect();
    for (account, role) in accounts.iter().zip(&roles) {
        let config = assumed_config(&env.moto, role).await;
        aws_sdk_ssm::Client::new(&config)
            .put_parameter()
            .name(format!("/acc/{account}"))
            .value("v")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("parameter");
    }
    let options = CollectOptions {
        role_arns: roles.clone(),
        ..options(&env.moto)
    };
    let plan = plan_of(&[
        ("aws.account", &["identity"]),
        ("aws.ssm.parameter", &["metadata"]),
    ]);
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");

    let seen: Vec<&str> = inventory
        .accounts
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(seen, accounts);
    for account in accounts {
        let identity = doc(&inventory, "aws.account", account);
        assert_eq!(identity.attributes["identity"]["account_id"], account);
        let parameter = doc(&inventory, "aws.ssm.parameter", &format!("/acc/{account}"));
        assert_eq!(parameter.account, account);
        assert!(
            parameter.arn.contains(&format!(":{account}:")),
            "{}",
            parameter.arn
        );
        // Each account sees only its own parameter.
        let other = inventory
            .resources
            .iter()
            .filter(|d| d.resource_type == "aws.ssm.parameter" && d.account == account)
            .count();
        assert_eq!(other, 1, "{account} has {other} parameters");
    }
}

#[test]
fn an_unreachable_account_does_not_stop_the_others() {
    isolated(unreachable_body);
}

async fn unreachable_body(env: TestEnv) {
    let reachable = "arn:aws:iam::333333333333:role/unr-scanner";
    let denied = "arn:aws:iam::444444444444:role/unr-scanner";
    let config = assumed_config(&env.moto, reachable).await;
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name("/unr/fine")
        .value("v")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .expect("parameter");
    let proxy = FaultProxy::start(&env.moto);
    let is_denied_assume = |r: &Request| {
        r.operation().as_deref() == Some("AssumeRole")
            && String::from_utf8_lossy(&r.body).contains("444444444444")
    };
    proxy.inject(
        is_denied_assume,
        Fault::Status {
            status: 403,
            code: "AccessDenied".to_string(),
            message: "injected: not authorized to perform sts:AssumeRole".to_string(),
        },
        None,
    );
    let plan = plan_of(&[
        ("aws.account", &["identity"]),
        ("aws.ssm.parameter", &["metadata"]),
    ]);
    let both = CollectOptions {
        role_arns: vec![denied.to_string(), reachable.to_string()],
        ..options(&proxy.endpoint())
    };
    let inventory = collect(&both, &plan, &NoProgress)
        .await
        .expect("the reachable account is scanned");
    let scanned: Vec<&str> = inventory
        .accounts
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(scanned, ["333333333333"]);
    assert_eq!(
        doc(&inventory, "aws.ssm.parameter", "/unr/fine").account,
        "333333333333"
    );
    let lost = doc(&inventory, "aws.account", &format!("role {denied}"));
    assert_eq!(lost.account, "444444444444");
    assert!(lost.attributes.is_empty());
    for key in ["identity", "aws.ssm.parameter@all regions"] {
        let error = lost.errors.get(key).expect(key);
        // The credentials never came, so the call that failed is the identity probe, and the
        // reason carries the refusal of the role.
        assert_eq!(error.action, "sts:GetCallerIdentity", "{key}: {error:?}");
        let reason = error.to_string();
        assert!(
            reason.contains("444444444444") && reason.contains("AccessDenied"),
            "{key}: {reason}"
        );
    }

    // Nothing reachable at all: an error, not an empty report.
    let only_denied = CollectOptions {
        role_arns: vec![denied.to_string()],
        ..options(&proxy.endpoint())
    };
    let error = collect(&only_denied, &plan, &NoProgress)
        .await
        .expect_err("no account")
        .to_string();
    assert!(error.contains("cannot identify the account"), "{error}");
}

#[test]
fn profile_target_supplies_credentials_and_region() {
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("posture-test-profiles");
    // Static keys only: aws-config's profile role chains call STS through their own client,
    // which does not take --endpoint-url, so a `role_arn` profile cannot reach moto.
    let profiles = "[profile posture-alt]\n\
        region = eu-west-2\n\
        aws_access_key_id = testing-alt\n\
        aws_secret_access_key = testing-alt\n\
        \n\
        [profile posture-noregion]\n\
        aws_access_key_id = testing-alt\n\
        aws_secret_access_key = testing-alt\n";
    std::fs::write(&config, profiles).expect("write the profile file");
    let config = config.to_str().expect("utf-8 path").to_string();
    // Only the profile may supply credentials and region: without it, loading fails.
    isolated_with(
        &[
            ("AWS_CONFIG_FILE", Some(&config)),
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_REGION", None),
            ("AWS_DEFAULT_REGION", None),
        ],
        profile_body,
    );
}

async fn profile_body(env: TestEnv) {
    let plan = plan_of(&[("aws.account", &["identity"])]);
    let options = CollectOptions {
        profiles: vec!["posture-alt".to_string()],
        regions: RegionSelection::Default,
        ..options(&env.moto)
    };
    let inventory = collect(&options, &plan, &NoProgress)
        .await
        .expect("collect");
    assert_eq!(inventory.accounts.len(), 1);
    assert_eq!(inventory.accounts[0].account, ACCOUNT);
    assert_eq!(inventory.accounts[0].regions, vec!["eu-west-2".to_string()]);

    // Without a region anywhere, the default selection refuses instead of guessing.
    let options = CollectOptions {
        profiles: vec!["posture-noregion".to_string()],
        regions: RegionSelection::Default,
        ..crate::support::options(&env.moto)
    };
    let error = collect(&options, &plan, &NoProgress)
        .await
        .expect_err("no region");
    assert!(format!("{error:#}").contains("--regions"), "{error:#}");

    // The default chain has no credentials in this process: proof the profile supplied them.
    let options = CollectOptions {
        regions: RegionSelection::List(vec![REGION.into()]),
        ..crate::support::options(&env.moto)
    };
    let error = collect(&options, &plan, &NoProgress)
        .await
        .expect_err("no default credentials");
    assert!(
        format!("{error:#}").contains("default credentials"),
        "{error:#}"
    );
}
