#!/usr/bin/env python3
"""Checks a posture JSON report against the manifest that ../shared/peers/seed.py writes.

    python3 benches/peers_compare.py REPORT.json EXPECTED.json

For each Prowler check of the peers benchmark that a posture rule answers with the same
question, every seeded resource must FAIL in the report exactly when the manifest expects FAIL.
The report lists failures only (the default), so a resource that is absent passed.
Object Lock and lifecycle are left out: posture asks them only of buckets tagged as audit or
archive data (none are in the seed), where Prowler asks every bucket.
"""
import json
import sys

# Prowler check -> posture rule asking the same question of the same resources.
SAME_QUESTION = {
    "s3_bucket_default_encryption": "s3-bucket-default-encryption",
    "s3_bucket_kms_encryption": "s3-bucket-kms-encryption",
    "s3_bucket_object_versioning": "s3-bucket-versioning-enabled",
    "kms_cmk_rotation_enabled": "kms-key-rotation-enabled",
    "dynamodb_tables_kms_cmk_encryption_enabled": "dynamodb-table-kms-encryption",
    "dynamodb_tables_pitr_enabled": "dynamodb-table-pitr",
    "cloudwatch_log_group_retention_policy_specific_days_enabled": "logs-group-min-retention",
    "iam_customer_attached_policy_no_administrative_privileges": "iam-policy-no-admin",
    "iam_customer_unattached_policy_no_administrative_privileges": "iam-policy-no-admin",
    "awslambda_function_using_supported_runtimes": "lambda-runtime-supported",
    "cloudtrail_multi_region_enabled": "cloudtrail-multi-region-logging",
}


def main():
    report = json.load(open(sys.argv[1]))
    manifest = json.load(open(sys.argv[2]))
    failed = {}
    errors = 0
    for finding in report["findings"]:
        if finding["status"] == "ERROR":
            errors += 1
        if finding["status"] in ("FAIL", "ERROR"):
            failed.setdefault(finding["rule_id"], set()).add(finding["resource"]["name"])
    # Keys moto creates on its own (alias/aws/dynamodb as a customer key): flagged, and listed
    # apart by the peers' own comparison too.
    artifacts = manifest.get("moto_artifacts", {})
    correct = wrong = 0
    for check, expected in manifest["expected"].items():
        rule = SAME_QUESTION.get(check)
        if rule is None:
            continue
        for resource, status in expected.items():
            if check == "cloudtrail_multi_region_enabled":
                # posture judges this once per account, not per trail.
                got = "FAIL" if failed.get(rule) else "PASS"
            else:
                got = "FAIL" if resource in failed.get(rule, set()) else "PASS"
            if got == status:
                correct += 1
            else:
                wrong += 1
                print(f"MISMATCH {check} {resource}: expected {status}, posture {got}")
        # Anything posture failed that the seed did not create must be an emulator artifact.
        extra = failed.get(rule, set()) - set(expected) - set(artifacts.get(check, {}))
        for resource in sorted(extra):
            if check.startswith("iam_") or check == "cloudtrail_multi_region_enabled":
                continue  # two checks share the IAM rule; the trail check has one resource
            wrong += 1
            print(f"UNEXPECTED {check} {resource}: posture FAIL")
    print(f"TOTAL correct={correct} wrong={wrong} errors={errors}")
    return 1 if wrong or errors else 0


if __name__ == "__main__":
    sys.exit(main())
