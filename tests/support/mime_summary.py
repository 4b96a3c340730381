#!/usr/bin/env python3
# What Python's own MIME parser reads in a received message (an .eml file), as
# JSON: content type, the address headers, subject, plain-text body, and each
# attachment's file name, content type and SHA-256. Tests compare it with what
# they sent, so the message is checked by a reader other than our builder.
import email
import email.policy
import hashlib
import json
import sys

with open(sys.argv[1], 'rb') as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
body = m.get_body(('plain',))
print(json.dumps({
    'type': m.get_content_type(),
    'from': m['From'], 'to': m['To'], 'cc': m['Cc'], 'bcc': m['Bcc'],
    'subject': m['Subject'],
    'body': body.get_content() if body is not None else None,
    'parts': [{'name': p.get_filename(), 'type': p.get_content_type(),
               'sha': hashlib.sha256(p.get_payload(decode=True)).hexdigest()}
              for p in m.iter_attachments()],
}))
