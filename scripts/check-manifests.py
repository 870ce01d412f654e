#!/usr/bin/python3
"""Checks Kubernetes manifests against the Kubernetes API schema of Debian's python3-kubernetes (its OpenAPI
models), offline: every object's apiVersion and kind must name a model, every field must be one the model
declares, with the declared type, and the models' own checks (required fields, allowed values) must pass.

Usage: check-manifests.py [--json] FILE...   Prints one line per object (or, with --json, the objects as one JSON
array) and exits 1 on the first file with a problem, naming the field's path.
"""
import json
import re
import sys

try:
    import yaml
    from kubernetes import client
except ImportError as error:
    sys.exit(f"check-manifests: {error.name} is missing: run `make deploy-deps` (apt-get install python3-kubernetes)")


class SchemaError(Exception):
    pass


def model_name(api_version, kind):
    """apps/v1 + DaemonSet -> V1DaemonSet, rbac.authorization.k8s.io/v1 + ClusterRole -> V1ClusterRole."""
    version = api_version.split("/")[-1]
    return version[0].upper() + version[1:] + kind


def check(value, type_name, path):
    """Checks `value` against the python client's type string ('V1PodSpec', 'list[V1Container]', 'dict(str, str)',
    'str', 'int', 'bool', 'object', 'datetime')."""
    if value is None:
        return
    listed = re.fullmatch(r"list\[(.+)\]", type_name)
    if listed:
        if not isinstance(value, list):
            raise SchemaError(f"{path}: expected a list, found {type(value).__name__}")
        for index, item in enumerate(value):
            check(item, listed.group(1), f"{path}[{index}]")
        return
    mapped = re.fullmatch(r"dict\((\w+), (.+)\)", type_name)
    if mapped:
        if not isinstance(value, dict):
            raise SchemaError(f"{path}: expected a map, found {type(value).__name__}")
        for key, item in value.items():
            check(item, mapped.group(2), f"{path}.{key}")
        return
    primitive = {"str": str, "int": int, "float": (int, float), "bool": bool}
    if type_name in primitive:
        if isinstance(value, bool) and type_name != "bool" or not isinstance(value, primitive[type_name]):
            raise SchemaError(f"{path}: expected {type_name}, found {type(value).__name__} {value!r}")
        return
    if type_name in ("object", "datetime", "date"):
        return  # int-or-string, quantities, free-form objects, timestamps
    model = getattr(client, type_name, None)
    if model is None:
        raise SchemaError(f"{path}: the schema names an unknown type {type_name}")
    if not isinstance(value, dict):
        raise SchemaError(f"{path}: expected an object ({type_name}), found {type(value).__name__}")
    fields = {json_name: python_name for python_name, json_name in model.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise SchemaError(f"{path}.{key}: not a field of {type_name} (its fields: {known})")
        check(item, model.openapi_types[fields[key]], f"{path}.{key}")


def check_object(document, where):
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not api_version or not kind:
        raise SchemaError(f"{where}: apiVersion and kind are required")
    name = model_name(api_version, kind)
    if getattr(client, name, None) is None:
        raise SchemaError(f"{where}: no Kubernetes model for {api_version} {kind}")
    check(document, name, where)
    # The models' own validation: required fields and allowed values, raised while the object is built.
    try:
        client.ApiClient()._ApiClient__deserialize(document, name)
    except (ValueError, TypeError) as error:
        raise SchemaError(f"{where}: {error}")
    return name


def main(arguments):
    as_json = "--json" in arguments
    files = [argument for argument in arguments if argument != "--json"]
    if not files:
        sys.exit(__doc__)
    objects = []
    for path in files:
        with open(path, encoding="utf-8") as stream:
            documents = [document for document in yaml.safe_load_all(stream) if document is not None]
        if not documents:
            sys.exit(f"{path}: no Kubernetes objects")
        for index, document in enumerate(documents):
            metadata = document.get("metadata") or {}
            where = f"{path}#{index} {document.get('kind', '?')} {metadata.get('name', '?')}"
            try:
                model = check_object(document, where)
            except SchemaError as error:
                sys.exit(f"check-manifests: {error}")
            objects.append(document)
            if not as_json:
                namespace = metadata.get("namespace", "default")
                print(f"{path}: {document['kind']} {namespace}/{metadata.get('name')} matches {model}")
    if as_json:
        print(json.dumps(objects))


if __name__ == "__main__":
    main(sys.argv[1:])
