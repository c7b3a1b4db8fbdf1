#!/usr/bin/env python3
"""Starts moto server for posture's collector tests.

Two additions to plain `moto_server`:

1. S3 XML roots. moto 5.2.5 names the root element of a few S3 answers after the operation
   ("GetBucketVersioningResponse") where S3 uses the configuration name
   ("VersioningConfiguration"). boto3 tolerates that; the Rust SDK's XML deserializer refuses
   the document ("encountered invalid XML root"). We rename those roots on the way out. Real
   S3 sends the right names, so posture itself needs no workaround.

2. Parent watch. With `--parent-pid PID`, the server exits once that process is gone, so a test
   binary that dies without running destructors cannot leave a server behind.

Usage: moto_launch.py [--parent-pid PID] <moto_server arguments, e.g. -H 127.0.0.1 -p 5000>
"""
import os
import re
import sys
import threading
import time

from moto.s3.responses import S3Response

# Root element moto writes -> root element S3 writes.
ROOT_RENAMES = {
    "GetBucketVersioningResponse": "VersioningConfiguration",
    "GetBucketAccelerateConfigurationResponse": "AccelerateConfiguration",
    "GetBucketNotificationResponse": "NotificationConfiguration",
    "GetBucketNotificationConfigurationResponse": "NotificationConfiguration",
}
ROOT_TAG = re.compile(r"(</?)(" + "|".join(map(re.escape, ROOT_RENAMES)) + r")\b")


def rename_roots(text):
    return ROOT_TAG.sub(lambda m: m.group(1) + ROOT_RENAMES[m.group(2)], text)


original_serialized = S3Response.serialized


def serialized_with_s3_roots(self, action_result):
    status, headers, body = original_serialized(self, action_result)
    # Only the head of a document can hold a root element; skip large object bodies quickly.
    if isinstance(body, bytes) and b"Response" in body[:256]:
        try:
            body = rename_roots(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            pass
    elif isinstance(body, str) and "Response" in body[:256]:
        body = rename_roots(body)
    return status, headers, body


S3Response.serialized = serialized_with_s3_roots


def exit_when_parent_dies(pid):
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.5)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--parent-pid":
        pid = int(argv[1])
        argv = argv[2:]
        threading.Thread(target=exit_when_parent_dies, args=(pid,), daemon=True).start()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
