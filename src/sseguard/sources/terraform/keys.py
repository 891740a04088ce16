"""Following a stream's ``kms_key_id`` to what the configuration says of the key: region, state, policy."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from sseguard import keypolicy
from sseguard.kms import is_aws_managed_alias, parse_kms_arn
from sseguard.model import Key, KeyManager, KeyState, Origin, OutOfReach, PolicyOrigin, Unknown, Unreadable
from sseguard.sources.terraform.hcl import Block, Expr
from sseguard.sources.terraform.instance import ModuleInstance, ResourceHandle
from sseguard.sources.terraform.origins import block_origin, expr_origin
from sseguard.sources.terraform.values import Computed, Ref, first_unknown, with_placeholders

_KEY_ARN = re.compile(r"^arn:(aws[\w-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)$")
_KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key")
KEY_RESOURCE_TYPES = (*_KEY_TYPES, "aws_kms_alias")
_SCAN_LIVE = "scan the live stream with sseguard aws to check the key's state and policy"


def key_ref_is_given(value: Computed) -> Ref | bool | None:
    """For a kms_key_id only known after apply: the key resource it references (counts as given), True for a
    reference to something not declared (counts as given: the file was scanned alone), or None (not decidable)."""
    for ref in value.refs:
        if ref.type in KEY_RESOURCE_TYPES or (ref.mode == "data" and ref.type in ("aws_kms_key", "aws_kms_alias")):
            return ref
    if value.refs and not any(r.declared for r in value.refs):
        return True
    return None


def key_from_literal(reference: str, stream_region: str | OutOfReach, inst: ModuleInstance) -> Key:
    """A key given as text: alias/aws/kinesis, a key or alias ARN, an alias name, or a key id."""
    m = _KEY_ARN.match(reference)
    if is_aws_managed_alias(reference):
        # the alias name resolves in the stream's region; an alias ARN names its region, unless that part is known
        # only after apply (arn:aws:kms:${data.aws_region.current.name}:...)
        arn = parse_kms_arn(reference)
        region: str | OutOfReach = stream_region if arn is None else arn.region or OutOfReach(
            f"the region in key ARN {reference} is known only after apply")
        return Key(reference, region=region, account=arn.account if arn else None,
                   manager=KeyManager.AWS, state=KeyState.ENABLED,
                   policy=OutOfReach("the AWS-managed key's policy is set by AWS"), in_stream_region=arn is None)
    if m:
        kind = m.group(4)
        if kind == "alias":
            alias = _find_alias(inst, "alias/" + m.group(5))
            if alias is not None:
                return _with_literal_region(key_from_alias(alias, reference), m.group(2), m.group(3))
        return Key(reference, arn=reference, region=m.group(2), account=m.group(3),
                   manager=OutOfReach("a key given by ARN is not declared in the scanned files: " + _SCAN_LIVE),
                   state=OutOfReach("a key given by ARN is not declared in the scanned files: " + _SCAN_LIVE),
                   policy=OutOfReach("a key given by ARN is not declared in the scanned files: " + _SCAN_LIVE))
    if reference.startswith("alias/"):
        alias = _find_alias(inst, reference)
        if alias is not None:
            return key_from_alias(alias, reference)
        why = f"alias {reference} is not declared in the scanned files: " + _SCAN_LIVE
        return Key(reference, region=stream_region, manager=OutOfReach(why), state=OutOfReach(why),
                   policy=OutOfReach(why), in_stream_region=True)
    why = "a key given by id is not declared in the scanned files: " + _SCAN_LIVE
    return Key(reference, region=stream_region, manager=OutOfReach(why), state=OutOfReach(why),
               policy=OutOfReach(why), in_stream_region=True)


def _with_literal_region(key: Key, region: str, account: str) -> Key:
    return replace(key, region=region, account=account)


def _find_alias(inst: ModuleInstance, name: str) -> ResourceHandle | None:
    """The aws_kms_alias of this module instance (then its ancestors) whose name is ``name``."""
    here: ModuleInstance | None = inst
    while here is not None:
        for rname, block in here.module.resources_of("aws_kms_alias"):
            attr = block.attr("name")
            if attr is not None and here.eval(attr.expr) == name:
                return ResourceHandle(here, "managed", "aws_kms_alias", rname, None)
        here = here.parent
    return None


def key_from_ref(ref: Ref | bool, reference: str, inst: ModuleInstance) -> Key:
    """A key given as a reference to a resource or data source."""
    if ref is True or isinstance(ref, bool):
        why = "the key's resource is not declared in the scanned files: " + _SCAN_LIVE
        return Key(reference, region=OutOfReach(why), manager=OutOfReach(why), state=OutOfReach(why),
                   policy=OutOfReach(why))
    owner = _instance_at(inst, ref.module_path)
    if ref.mode == "data" or owner is None:
        why = (f"the key comes from {ref.address}, known only at plan time: scan the plan JSON or the live stream"
               if ref.mode == "data" else f"the module instance {ref.module_path} of {ref.address} is not scanned")
        return Key(reference, region=OutOfReach(why), manager=OutOfReach(why), state=OutOfReach(why),
                   policy=OutOfReach(why), declared_at=ref.address)
    if not ref.declared:
        why = f"{ref.address} is not declared in the scanned files: " + _SCAN_LIVE
        return Key(reference, region=OutOfReach(why), manager=OutOfReach(why), state=OutOfReach(why),
                   policy=OutOfReach(why))
    handle = ResourceHandle(owner, "managed", ref.type, ref.name, ref.key, keyed=ref.key is not None)
    if ref.type == "aws_kms_alias":
        return key_from_alias(handle, reference)
    return key_from_block(handle, reference)


def _instance_at(inst: ModuleInstance, path: str) -> ModuleInstance | None:
    """The module instance at address prefix ``path``: ``inst``, an ancestor, or a descendant of one (a key
    declared in a child module reaches its caller through an output)."""
    here: ModuleInstance | None = inst
    while here is not None:
        if here.path == path:
            return here
        if not here.path or path.startswith(here.path + "."):
            return _descend(here, path[len(here.path) + 1:] if here.path else path)
        here = here.parent
    return None


_CALL_STEP = re.compile(r'module\.([A-Za-z_][\w-]*)(?:\[(\d+|"(?:[^"\\]|\\.)*")\])?(?:\.|$)')


def _descend(inst: ModuleInstance, rest: str) -> ModuleInstance | None:
    pos = 0
    while pos < len(rest):
        m = _CALL_STEP.match(rest, pos)
        if m is None:
            return None
        raw = m.group(2)
        key: str | int | None = None if raw is None else int(raw) if raw.isdigit() else json.loads(raw)
        child = inst.child(m.group(1), key)
        if isinstance(child, Unknown):
            return None
        inst, pos = child, m.end()
    return inst


def key_from_alias(alias: ResourceHandle, reference: str) -> Key:
    """Follow an aws_kms_alias to its target key."""
    block = alias.block
    assert block is not None
    target = block.attr("target_key_id")
    if target is None:
        why = f"{alias.ref(None).address} has no target_key_id"
        return Key(reference, manager=OutOfReach(why), state=OutOfReach(why), policy=OutOfReach(why))
    value = alias.inst.eval(target.expr, alias.bindings())
    if isinstance(value, Computed):
        for ref in value.refs:
            if ref.type in _KEY_TYPES and ref.mode == "managed" and ref.declared:
                owner = _instance_at(alias.inst, ref.module_path) or alias.inst
                handle = ResourceHandle(owner, "managed", ref.type, ref.name, ref.key, keyed=ref.key is not None)
                key = key_from_block(handle, reference)
                region = region_of(block, alias.inst, alias.bindings())
                return replace(key, region=region, declared_at=f"{alias.ref(None).address} -> {key.declared_at}")
    if isinstance(value, str):
        return key_from_literal(value, region_of(block, alias.inst, alias.bindings()), alias.inst)
    why = f"the target of {alias.ref(None).address} cannot be followed ({target.expr.shown})"
    return Key(reference, region=region_of(block, alias.inst, alias.bindings()),
               manager=OutOfReach(why), state=OutOfReach(why), policy=OutOfReach(why))


def region_of(block: Block, inst: ModuleInstance, bindings: dict[str, Any]) -> str | OutOfReach:
    """A resource's effective region: its own region argument (AWS provider 6 lets every regional resource name
    one), else its provider configuration's."""
    attr = block.attr("region")
    if attr is not None:
        value = inst.eval(attr.expr, bindings)
        if isinstance(value, str):
            return value
        if isinstance(value, Unknown):
            return OutOfReach(f"region = {attr.expr.shown} cannot be resolved: {value.reason}")
        if isinstance(value, Computed):
            return OutOfReach(f"region = {attr.expr.shown} is only known after apply")
        if value is not None:
            return OutOfReach(f"region = {attr.expr.shown} is not a string")
    return inst.provider_region(_provider_of(block, inst))


def _provider_of(block: Block, inst: ModuleInstance) -> str:
    attr = block.attr("provider")
    if attr is None:
        return "aws"
    if attr.expr.node is None:
        return str(attr.expr.value)
    return attr.expr.text.strip()


def provider_of(block: Block, inst: ModuleInstance) -> str:
    """The provider configuration key a resource uses (``aws`` or ``aws.alias``)."""
    return _provider_of(block, inst)


def key_from_block(key: ResourceHandle, reference: str) -> Key:
    """What an aws_kms_key block says: its provider's region, is_enabled, and its policy."""
    block = key.block
    assert block is not None
    inst = key.inst
    b = key.bindings()
    region = region_of(block, inst, b)
    unreadable = unreadable_block(key)
    if unreadable is not None:
        return Key(reference, region=region, manager=KeyManager.CUSTOMER, state=unreadable, policy=unreadable,
                   declared_at=key.ref(None).address)
    # aws_kms_key says is_enabled; the replica and external key resources say enabled
    enabled_attr = block.attr("is_enabled" if key.type == "aws_kms_key" else "enabled")
    state: KeyState | Unknown | OutOfReach = KeyState.ENABLED
    if enabled_attr is not None:
        enabled = inst.eval(enabled_attr.expr, b)
        if enabled is False:
            state = KeyState.DISABLED
        elif isinstance(enabled, Unreadable):
            state = enabled
        elif enabled is not True and enabled is not None:
            reason = enabled.reason if isinstance(enabled, Unknown) else f"{enabled_attr.expr.shown} is not known"
            state = OutOfReach(f"is_enabled of {key.ref(None).address} cannot be resolved: {reason}")
    policy, source, written = _policy_of(key)
    origin = PolicyOrigin.DEFAULT if source == _DEFAULT_SOURCE else PolicyOrigin.GIVEN if source else None
    rotation, period = _rotation_of(key)
    return Key(reference, region=region, manager=KeyManager.CUSTOMER, state=state, policy=policy,
               policy_origin=origin, policy_source=source, declared_at=key.ref(None).address, rotation=rotation,
               rotation_period_days=period, policy_at=written)


def _rotation_of(key: ResourceHandle) -> tuple[bool | OutOfReach, int | None]:
    """enable_key_rotation (absent is false, the provider's default) and rotation_period_in_days of a key block."""
    block = key.block
    assert block is not None
    address = key.ref(None).address
    if key.type != "aws_kms_key":
        # a replica key rotates with its primary; imported key material is rotated by hand, not by KMS
        return OutOfReach(f"{key.type} sets no rotation of its own: check the primary key, or scan the live "
                          "stream"), None
    period_attr = block.attr("rotation_period_in_days")
    period = key.inst.eval(period_attr.expr, key.bindings()) if period_attr is not None else None
    days = period if isinstance(period, int) and not isinstance(period, bool) else None
    attr = block.attr("enable_key_rotation")
    if attr is None:
        return False, days
    value = key.inst.eval(attr.expr, key.bindings())
    if value is None:
        return False, days  # null leaves the provider's default
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"  # Terraform converts the string to a bool
    if isinstance(value, bool):
        return value, days
    reason = value.reason if isinstance(value, Unknown) else f"{attr.expr.shown} is not known before apply"
    return OutOfReach(f"enable_key_rotation of {address} cannot be resolved: {reason}"), days


def unreadable_block(handle: ResourceHandle) -> Unreadable | None:
    """Why a block's settings cannot be trusted (see ``Block.defect``), or None."""
    block = handle.block
    why = None if block is None else block.defect
    if block is None or why is None:
        return None
    return Unreadable(f"{handle.ref(None).address} ({block.file.display}:{block.line}) cannot be read: {why}",
                      "fix the block (terraform validate shows the error)")


_DEFAULT_SOURCE = "the default key policy (no policy is set)"


def _policy_of(key: ResourceHandle) -> tuple[dict[str, Any] | Unknown | OutOfReach, str | None, Origin | None]:
    """The key's policy, where it comes from in words, and where it is written (for a fixer)."""
    block = key.block
    assert block is not None
    inst = key.inst
    # an aws_kms_key_policy resource for this key replaces the key's own policy argument
    for rname, other in inst.module.resources_of("aws_kms_key_policy"):
        target = other.attr("key_id")
        value = inst.eval(target.expr) if target is not None else None
        if isinstance(value, Computed) and any(
            r.type == key.type and r.name == key.name and r.module_path == inst.path for r in value.refs
        ):
            attr = other.attr("policy")
            if attr is not None:
                where = f"aws_kms_key_policy.{rname}"
                return (*_policy_value(inst, inst.eval(attr.expr), where), _written(inst, attr.expr, where))
    attr = block.attr("policy")
    if attr is None:
        return keypolicy.default_key_policy(None), _DEFAULT_SOURCE, None
    where = f"{key.ref(None).address}.policy"
    return (*_policy_value(inst, inst.eval(attr.expr, key.bindings()), where), _written(inst, attr.expr, where))


def _written(inst: ModuleInstance, expr: Expr, where: str) -> Origin | None:
    """Where a policy is written: its expression, or the block of the policy document it names."""
    m = _DOCUMENT_REF.fullmatch(expr.text.strip())
    if m is not None:
        handle = ResourceHandle(inst, "data", "aws_iam_policy_document", m.group(1), None)
        doc = handle.block
        if doc is None:
            return None
        found = block_origin(doc)
        return found if isinstance(found, Origin) else None
    return expr_origin(expr, where)


_DOCUMENT_REF = re.compile(r"data\.aws_iam_policy_document\.([A-Za-z_][\w-]*)\.(?:json|minified_json)")


def _policy_value(inst: ModuleInstance, value: Any,
                  origin: str) -> tuple[dict[str, Any] | Unknown | OutOfReach, str | None]:
    if isinstance(value, Unreadable):
        return Unreadable(f"the key policy ({origin}) cannot be read: {value.reason}", value.resolve), origin
    if isinstance(value, Unknown):
        return OutOfReach(f"the key policy ({origin}) cannot be resolved: {value.reason}"), origin
    if isinstance(value, Computed):
        for ref in value.refs:
            if ref.mode == "data" and ref.type == "aws_iam_policy_document" and ref.attr in ("json", "minified_json"):
                owner = _instance_at(inst, ref.module_path) or inst
                doc = policy_document(ResourceHandle(owner, "data", ref.type, ref.name, ref.key))
                if isinstance(doc, OutOfReach):
                    return doc, origin
                return doc, f"{origin} from {ref.address}"
        try:
            return keypolicy.parse_policy(value.text), origin + " (parts known only after apply kept as ${...})"
        except keypolicy.PolicyError:
            return OutOfReach(f"the key policy ({origin}) is only known after apply ({value.text[:80]})"), origin
    if not isinstance(value, str):
        return OutOfReach(f"the key policy ({origin}) is not a JSON string"), origin
    try:
        return keypolicy.parse_policy(value), origin
    except keypolicy.PolicyError as err:
        return OutOfReach(f"the key policy ({origin}) cannot be read: {err}"), origin


_MAX_DOCUMENT_DEPTH = 8


def policy_document(doc: ResourceHandle, depth: int = 0) -> dict[str, Any] | OutOfReach:
    """Build the JSON policy a ``data "aws_iam_policy_document"`` renders, from its statement blocks."""
    block = doc.block
    if block is None:
        return OutOfReach(f"{doc.ref(None).address} is not declared in the scanned files")
    inst = doc.inst
    statements: list[dict[str, Any]] = []
    for attr_name in ("source_policy_documents", "source_json"):
        attr = block.attr(attr_name)
        if attr is not None:
            src = inst.eval(attr.expr)
            texts = src if isinstance(src, list) else [src]
            for text in texts:
                parsed = _parse_embedded(text, f"{doc.ref(None).address}.{attr_name}", inst, depth)
                if isinstance(parsed, OutOfReach):
                    return parsed
                statements.extend(_statements(parsed))
    for st in _statement_blocks(block, inst):
        built = _statement(st, inst)
        if isinstance(built, OutOfReach):
            return built
        statements.append(built)
    for attr_name in ("override_policy_documents", "override_json"):
        attr = block.attr(attr_name)
        if attr is not None:
            src = inst.eval(attr.expr)
            for text in src if isinstance(src, list) else [src]:
                parsed = _parse_embedded(text, f"{doc.ref(None).address}.{attr_name}", inst, depth)
                if isinstance(parsed, OutOfReach):
                    return parsed
                for over in _statements(parsed):
                    sid = over.get("Sid")
                    statements = [s for s in statements if not sid or s.get("Sid") != sid] + [over]
    return {"Version": "2012-10-17", "Statement": statements}


def _parse_embedded(text: Any, where: str, inst: ModuleInstance, depth: int) -> dict[str, Any] | OutOfReach:
    if isinstance(text, Unknown):
        return OutOfReach(f"{where} cannot be resolved: {text.reason}")
    if isinstance(text, Computed):
        # another policy document's json: build it the same way (documents are often composed in layers)
        docs = [r for r in text.refs if r.mode == "data" and r.type == "aws_iam_policy_document"
                and r.attr in ("json", "minified_json")]
        if len(docs) == 1 and text.text == "${" + str(docs[0]) + "}":
            if depth >= _MAX_DOCUMENT_DEPTH:
                return OutOfReach(f"{where}: policy documents nested more than {_MAX_DOCUMENT_DEPTH} deep")
            owner = _instance_at(inst, docs[0].module_path) or inst
            return policy_document(ResourceHandle(owner, "data", docs[0].type, docs[0].name, docs[0].key), depth + 1)
        text = text.text
    if not isinstance(text, str):
        return OutOfReach(f"{where} is not a JSON string")
    try:
        return keypolicy.parse_policy(text)
    except keypolicy.PolicyError as err:
        return OutOfReach(f"{where}: {err}")


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    st = doc.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


class _Statement:
    """A statement block with the bindings of its dynamic-block iteration, if any."""

    def __init__(self, block: Block | None, values: dict[str, Any] | None, bindings: dict[str, Any]) -> None:
        self.block = block
        self.values = values
        self.bindings = bindings


def _statement_blocks(block: Block, inst: ModuleInstance) -> list[_Statement]:
    out: list[_Statement] = []
    json_form = block.attr("statement")
    if json_form is not None:
        value = inst.eval(json_form.expr)
        for item in value if isinstance(value, list) else [value]:
            out.append(_Statement(None, item if isinstance(item, dict) else {"_unknown": item}, {}))
    for nested in block.body.blocks:
        if nested.type == "statement":
            out.append(_Statement(nested, None, {}))
        elif nested.type == "dynamic" and nested.labels == ("statement",):
            for_each = nested.attr("for_each")
            iterator_attr = nested.attr("iterator")
            iterator = iterator_attr.expr.text.strip() if iterator_attr is not None else "statement"
            content = next(nested.body.blocks_of("content"), None)
            coll = inst.eval(for_each.expr) if for_each is not None else None
            if content is None:
                continue
            if not isinstance(coll, dict | list):
                reason = coll.reason if isinstance(coll, Unknown) else "its for_each is not known"
                out.append(_Statement(None, {"_unknown": Unknown(f"a dynamic statement: {reason}")}, {}))
                continue
            pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
            for k, v in pairs:
                out.append(_Statement(content, None, {iterator: {"key": k, "value": v}}))
    return out


def _statement(st: _Statement, inst: ModuleInstance) -> dict[str, Any] | OutOfReach:
    def get(name: str) -> Any:
        if st.values is not None:
            return st.values.get(name)
        assert st.block is not None
        attr = st.block.attr(name)
        return inst.eval(attr.expr, st.bindings) if attr is not None else None

    def nested(kind: str) -> list[dict[str, Any]]:
        if st.values is not None:
            v = st.values.get(kind)
            return [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, dict)]
        assert st.block is not None
        out = []
        for blk in st.block.body.blocks_of(kind):
            out.append({n: inst.eval(a.expr, st.bindings) for n, a in blk.body.attributes.items()})
        return out

    if st.values is not None and "_unknown" in st.values:
        u = st.values["_unknown"]
        return OutOfReach(f"a policy statement cannot be resolved: {getattr(u, 'reason', u)}")
    out: dict[str, Any] = {}
    sid = get("sid")
    if sid:
        out["Sid"] = sid
    out["Effect"] = get("effect") or "Allow"
    for src_name, dst in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
        v = get(src_name)
        if v is not None:
            out[dst] = v
    for kind, dst in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = nested(kind)
        if blocks:
            principal: dict[str, Any] = {}
            for p in blocks:
                ptype, ids = p.get("type"), p.get("identifiers")
                if ptype == "*":
                    principal = {"*": "*"}
                    break
                principal.setdefault(str(ptype), [])
                principal[str(ptype)].extend(ids if isinstance(ids, list) else [ids])
            out[dst] = "*" if "*" in principal else principal
    conditions = nested("condition")
    if conditions:
        cond: dict[str, dict[str, Any]] = {}
        for c in conditions:
            cond.setdefault(str(c.get("test")), {})[str(c.get("variable"))] = c.get("values")
        out["Condition"] = cond
    unknown = first_unknown(out)
    if unknown is not None:
        return OutOfReach(f"a statement of the policy document cannot be resolved: {unknown.reason}")
    return {k: with_placeholders(v) for k, v in out.items()}
