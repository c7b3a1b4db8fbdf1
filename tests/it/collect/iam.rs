//! IAM policies and roles from the account authorization details.

use super::*;

// ---------------------------------------------------------------- IAM

#[test]
fn iam_policies_and_roles() {
    isolated(iam_policies_and_roles_body);
}

async fn iam_policies_and_roles_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let admin = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    let limited = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["S3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::data/*"}
    ]});
    let admin_arn = iam
        .create_policy()
        .policy_name("iam-admin")
        .policy_document(admin.to_string())
        .send()
        .await
        .expect("policy")
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_string();
    let limited_arn = iam
        .create_policy()
        .policy_name("iam-limited")
        .policy_document(limited.to_string())
        .send()
        .await
        .expect("policy")
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_string();
    let role_arn = create_lambda_role(&config, "iam-app-role").await;
    iam.attach_role_policy()
        .role_name("iam-app-role")
        .policy_arn(&limited_arn)
        .send()
        .await
        .expect("attach");
    // Characters that percent-encoding changes, to prove the document is decoded.
    let inline = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/app/a b+c:*"}
    ]});
    iam.put_role_policy()
        .role_name("iam-app-role")
        .policy_name("iam-inline")
        .policy_document(inline.to_string())
        .send()
        .await
        .expect("inline");
    iam.create_user()
        .user_name("iam-user")
        .send()
        .await
        .expect("user");
    iam.put_user_policy()
        .user_name("iam-user")
        .policy_name("iam-user-inline")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("user policy");
    iam.create_group()
        .group_name("iam-group")
        .send()
        .await
        .expect("group");
    iam.put_group_policy()
        .group_name("iam-group")
        .policy_name("iam-group-inline")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}).to_string(),
        )
        .send()
        .await
        .expect("group policy");

    let inventory = collect_all(&env.moto).await;
    let t = "aws.iam.policy";

    let admin = doc(&inventory, t, "iam-admin");
    assert!(admin.errors.is_empty(), "{:?}", admin.errors);
    assert_eq!(admin.arn, admin_arn);
    assert_eq!(admin.region, "global");
    assert_eq!(admin.attributes["policy"]["kind"], "managed");
    assert_eq!(admin.attributes["policy"]["attachment_count"], 0);
    assert_eq!(
        admin.attributes["policy"]["statements"][0]["actions"],
        json!(["*"])
    );
    assert_eq!(admin.attributes["analysis"]["allows_admin"], true);

    let limited = doc(&inventory, t, "iam-limited");
    assert_eq!(limited.attributes["policy"]["attachment_count"], 1);
    assert_eq!(limited.attributes["policy"]["statements"][0]["sid"], "Read");
    assert_eq!(
        limited.attributes["policy"]["statements"][0]["actions"],
        json!(["s3:getobject", "s3:listbucket"])
    );
    assert_eq!(limited.attributes["analysis"]["allows_admin"], false);

    let inline = doc(&inventory, t, "iam-inline");
    assert_eq!(inline.arn, format!("{role_arn}/inline-policy/iam-inline"));
    assert_eq!(inline.attributes["policy"]["kind"], "inline");
    assert_eq!(inline.attributes["policy"]["owner_arn"], role_arn.as_str());
    assert_eq!(
        inline.attributes["policy"]["statements"][0]["resources"],
        json!(["arn:aws:logs:*:*:log-group:/app/a b+c:*"])
    );
    let user_inline = doc(&inventory, t, "iam-user-inline");
    assert_eq!(user_inline.attributes["analysis"]["allows_admin"], true);
    assert_eq!(
        user_inline.attributes["policy"]["statements"][0]["not_actions"],
        json!(["iam:*"])
    );
    let group_inline = doc(&inventory, t, "iam-group-inline");
    assert_eq!(group_inline.attributes["analysis"]["allows_admin"], false);
    assert!(
        group_inline.attributes["policy"]["owner_arn"]
            .as_str()
            .is_some_and(|a| a.ends_with(":group/iam-group"))
    );

    let role = doc(&inventory, "aws.iam.role", "iam-app-role");
    assert!(role.errors.is_empty(), "{:?}", role.errors);
    assert_eq!(
        role.attributes["trust"],
        json!({"service_principals": ["lambda.amazonaws.com"], "aws_principals": []})
    );
    assert_eq!(
        role.attributes["policies"],
        json!({
            "attached_policy_arns": [limited_arn],
            "inline_policy_names": ["iam-inline"],
            "inline_policy_arns": [format!("{}/inline-policy/iam-inline", role.arn)],
            "permissions_boundary_arn": null
        })
    );
    // The role's inline policy ARN names a collected policy document, so rules can join them.
    assert!(
        inventory
            .resources
            .iter()
            .any(|d| d.arn == format!("{}/inline-policy/iam-inline", role.arn))
    );

    let account = doc(&inventory, "aws.account", ACCOUNT);
    assert_eq!(account.attributes["identity"]["account_id"], ACCOUNT);
    assert!(account.errors.is_empty(), "{:?}", account.errors);
}

/// Users, groups and roles as principals: permissions combine every policy that applies (a
/// group's AWS-managed one included), Deny and the permissions boundary included, read from
/// moto through the same authorization details.
#[test]
fn principals_combine_every_policy_that_applies() {
    isolated(principals_body);
}

async fn principals_body(env: TestEnv) {
    let config = seed_config(&env.moto, REGION).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let policy = |name: &'static str, document: serde_json::Value| {
        crate::support::seed::iam_policy(&config, name, document)
    };
    let pass = policy("prn-pass", json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}})).await;
    let lambda = policy("prn-lambda", json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}})).await;
    let s3_only = policy("prn-s3-only", json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}})).await;
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    iam.create_group()
        .group_name("prn-admins")
        .send()
        .await
        .expect("group");
    iam.attach_group_policy()
        .group_name("prn-admins")
        .policy_arn(ADMIN)
        .send()
        .await
        .expect("attach");
    iam.create_user()
        .user_name("prn-dev")
        .send()
        .await
        .expect("user");
    iam.add_user_to_group()
        .group_name("prn-admins")
        .user_name("prn-dev")
        .send()
        .await
        .expect("member");
    iam.create_user()
        .user_name("prn-plain")
        .send()
        .await
        .expect("user");

    create_lambda_role(&config, "prn-ci").await;
    for arn in [&pass, &lambda] {
        iam.attach_role_policy()
            .role_name("prn-ci")
            .policy_arn(arn)
            .send()
            .await
            .expect("attach");
    }
    create_lambda_role(&config, "prn-capped").await;
    iam.attach_role_policy()
        .role_name("prn-capped")
        .policy_arn(ADMIN)
        .send()
        .await
        .expect("attach");
    iam.put_role_permissions_boundary()
        .role_name("prn-capped")
        .permissions_boundary(&s3_only)
        .send()
        .await
        .expect("boundary");

    let plan = plan_of(&[
        ("aws.iam.user", &["permissions"]),
        ("aws.iam.role", &["permissions"]),
    ]);
    let inventory = collect(&options(&env.moto), &plan, &NoProgress)
        .await
        .expect("collection succeeds");

    let dev = doc(&inventory, "aws.iam.user", "prn-dev");
    assert!(dev.errors.is_empty(), "{:?}", dev.errors);
    assert_eq!(
        dev.attributes["policies"]["group_arns"],
        json!([format!("arn:aws:iam::{ACCOUNT}:group/prn-admins")])
    );
    let permissions = &dev.attributes["permissions"];
    assert_eq!(permissions["allows_admin"], true, "{permissions}");
    assert!(
        permissions["admin_statements"][0]
            .as_str()
            .is_some_and(|s| s.starts_with(ADMIN)),
        "{permissions}"
    );
    let plain = doc(&inventory, "aws.iam.user", "prn-plain");
    assert_eq!(plain.attributes["permissions"]["allows_admin"], false);
    assert_eq!(
        plain.attributes["permissions"]["privilege_escalation_paths"],
        json!([])
    );

    let ci = doc(&inventory, "aws.iam.role", "prn-ci");
    let paths: Vec<&str> = ci.attributes["permissions"]["privilege_escalation_paths"]
        .as_array()
        .expect("paths")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert_eq!(
        paths,
        vec!["iam-passrole-lambda-create-function-invoke"],
        "{}",
        ci.attributes["permissions"]
    );

    let capped = doc(&inventory, "aws.iam.role", "prn-capped");
    assert_eq!(
        capped.attributes["policies"]["permissions_boundary_arn"],
        s3_only.as_str()
    );
    assert_eq!(
        capped.attributes["permissions"]["allows_admin"], false,
        "{}",
        capped.attributes["permissions"]
    );
    assert_eq!(
        capped.attributes["permissions"]["privilege_escalation_paths"],
        json!([])
    );
}
