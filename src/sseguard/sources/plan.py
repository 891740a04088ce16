"""Terraform plan JSON (``terraform show -json tfplan``, format 1.x) into the model.

A plan says what each stream will be after apply (``change.after``), which of its values are known only then
(``after_unknown``), and how the configuration wrote them (``configuration``). Both are needed:

- an ``encryption_type`` the configuration omits shows as the provider default ``"NONE"`` in ``after``; it is
  ``None`` in the model (KSSE001, or KSSE005 when the stream is being imported);
- a ``kms_key_id`` unknown until apply is a given key when its configuration expression references an
  ``aws_kms_key`` or ``aws_kms_alias``; that key's planned values give its state, policy and region.

A stream being deleted gets no finding. Nothing here judges a stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sseguard.model import (
    ErrorKind,
    InputError,
    Key,
    Location,
    OutOfReach,
    ScannedInput,
    SourceKind,
    SourceResult,
    Stream,
    Unknown,
)
from sseguard.options import ScanOptions
from sseguard.sources.file_source import NotThisKind
from sseguard.sources.tf_address import module_names
from sseguard.sources.tfjson_common import (
    ALIAS_TYPE,
    KEY_TYPE,
    STREAM_TYPE,
    KeyFacts,
    KeyIndex,
    LineFinder,
    TerraformJsonError,
    alias_facts,
    as_dict,
    as_list,
    data_key_facts,
    file_contains,
    index_suffix,
    json_start,
    key_from_facts,
    literal_key,
    load_terraform_json,
    parse_arn,
    rotation_of,
    text_or_none,
    walk_modules,
)
from sseguard.sources.unreadable import unreadable_file

# How to resolve a stream found in this kind of file when the file itself cannot be read.
_RESOLVE_UNREADABLE = "save the plan again with terraform show -json tfplan > plan.json"
KIND = SourceKind.PLAN

_PLAN_KEYS = (b'"planned_values"', b'"resource_changes"')
# A configuration reference to a key or alias resource: aws_kms_key.k, aws_kms_key.k[0].arn, aws_kms_alias.a["x"].
_KEY_REFERENCE = re.compile(
    r'^(?P<type>aws_kms_key|aws_kms_alias)\.(?P<name>[A-Za-z_][\w-]*)(?P<index>\[(?:\d+|"(?:[^"\\]|\\.)*")\])?'
)
_SKIPPED_ACTIONS = ({"delete"}, {"forget"}, {"read"})


def sniff(path: Path, head: bytes) -> bool:
    """A JSON object with ``format_version`` and ``planned_values`` or ``resource_changes`` (maybe past the head)."""
    start = json_start(head)
    if not start.startswith(b"{") or b'"format_version"' not in start:
        return False
    return any(k in start for k in _PLAN_KEYS) or file_contains(path, _PLAN_KEYS)


def load(path: Path, options: ScanOptions) -> SourceResult:
    """Read a plan JSON file and adapt each planned stream into the model; ``NotThisKind`` when it parses but is not
    a plan."""
    shown = options.display_path(path)
    try:
        text, plan = load_terraform_json(path, plan=True)
    except TerraformJsonError as err:
        # Only its words are kept: the error's traceback holds the text, freed before the text is searched.
        why, line = err.message, err.line
    else:
        return _adapted(plan, text, shown, options)
    return unreadable_file(path, KIND, shown, why, _RESOLVE_UNREADABLE, line)


def _adapted(plan: Any, text: str, shown: str, options: ScanOptions) -> SourceResult:
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise NotThisKind("not a Terraform plan: expected a JSON object with format_version (terraform show -json "
                          "tfplan)")
    if not isinstance(plan.get("resource_changes", []), list):
        # A plan, damaged: reported wherever it was found.
        return SourceResult(errors=[InputError(shown, "not a Terraform plan: resource_changes is not a list")])
    reader = _PlanReader(plan, text, shown, options)
    result = SourceResult(inputs=[ScannedInput(KIND, shown)])
    result.streams.extend(reader.streams())
    result.errors.extend(reader.errors)
    return result


@dataclass
class _Planned:
    """One resource instance of the plan: its change and the configuration block it came from."""

    address: str
    module_address: str
    rtype: str
    name: str
    index: Any
    actions: tuple[str, ...]
    after: dict[str, Any]
    before: dict[str, Any]
    after_unknown: dict[str, Any]
    importing: bool
    config: dict[str, Any] | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def expressions(self) -> dict[str, Any]:
        return as_dict(as_dict(self.config).get("expressions"))

    def references(self, attribute: str) -> list[str]:
        return [r for r in as_list(as_dict(self.expressions.get(attribute)).get("references")) if isinstance(r, str)]

    def unknown(self, attribute: str) -> bool:
        return self.after_unknown.get(attribute) is True


class _PlanReader:
    def __init__(self, plan: dict[str, Any], text: str, shown: str, options: ScanOptions) -> None:
        self.plan = plan
        self.text = text
        self.shown = shown
        self.options = options
        self.errors: list[InputError] = []
        configuration = as_dict(plan.get("configuration"))
        self.has_configuration = bool(configuration)
        self.provider_config = as_dict(configuration.get("provider_config"))
        self.variables = as_dict(plan.get("variables"))
        self.modules: dict[tuple[str, ...], dict[str, Any]] = {}
        self.config_resources: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {}
        self._index_modules(as_dict(configuration.get("root_module")), ())
        self._regions: dict[str | None, str | Unknown | OutOfReach] = {}
        self.planned: list[_Planned] = []
        self.by_address: dict[str, _Planned] = {}
        self.by_resource: dict[str, list[_Planned]] = {}  # instances by address without the instance key
        self._read_changes()
        self.key_index = KeyIndex()
        self._index_keys()

    # --- configuration ---------------------------------------------------------------------------------------

    def _index_modules(self, module: dict[str, Any], path: tuple[str, ...]) -> None:
        self.modules[path] = module
        for res in as_list(module.get("resources")):
            if isinstance(res, dict) and isinstance(res.get("address"), str):
                self.config_resources[(path, res["address"])] = res
        for name, call in as_dict(module.get("module_calls")).items():
            self._index_modules(as_dict(as_dict(call).get("module")), (*path, name))

    def _config_of(self, module_address: str, rtype: str, name: str, mode: str) -> dict[str, Any] | None:
        local = f"{'data.' if mode == 'data' else ''}{rtype}.{name}"
        return self.config_resources.get((module_names(module_address), local))

    def _read_changes(self) -> None:
        for i, rc in enumerate(as_list(self.plan.get("resource_changes"))):
            if rc is None:
                continue  # a resource of a type sseguard does not read, dropped while parsing
            if not isinstance(rc, dict) or not isinstance(rc.get("address"), str):
                self.errors.append(InputError(self.shown, f"resource_changes[{i}] is not a resource change",
                                              kind=ErrorKind.INCOMPLETE))
                continue
            change = as_dict(rc.get("change"))
            actions = tuple(a for a in as_list(change.get("actions")) if isinstance(a, str))
            mode = text_or_none(rc.get("mode")) or "managed"
            rtype, name = str(rc.get("type", "")), str(rc.get("name", ""))
            module_address = text_or_none(rc.get("module_address")) or ""
            planned = _Planned(
                address=rc["address"],
                module_address=module_address,
                rtype=rtype,
                name=name,
                index=rc.get("index"),
                actions=actions,
                after=as_dict(change.get("after")),
                before=as_dict(change.get("before")),
                after_unknown=as_dict(change.get("after_unknown")),
                importing=bool(change.get("importing")),
                config=self._config_of(module_address, rtype, name, mode),
                extra={"mode": mode, "has_after": isinstance(change.get("after"), dict)},
            )
            self.planned.append(planned)
            self.by_address[planned.address] = planned
            if planned.index is not None:
                base = planned.address[: len(planned.address) - len(index_suffix(planned.index))]
                self.by_resource.setdefault(base, []).append(planned)

    # --- regions ---------------------------------------------------------------------------------------------

    def provider_region(self, config_key: str | None) -> str | Unknown | OutOfReach:
        """The region of a provider configuration (``aws``, ``aws.west``, ``module.m:aws``), memoised."""
        if config_key not in self._regions:
            self._regions[config_key] = self._provider_region(config_key)
        return self._regions[config_key]

    def _provider_region(self, config_key: str | None) -> str | Unknown | OutOfReach:
        fallback = self.options.region
        if config_key is None or config_key not in self.provider_config:
            if fallback:
                return fallback
            what = "the plan has no configuration for its provider" if config_key is None else \
                f"the plan has no provider configuration {config_key!r}"
            return OutOfReach(f"{what}; pass --region")
        provider = as_dict(self.provider_config[config_key])
        expression = as_dict(as_dict(provider.get("expressions")).get("region"))
        if not expression:
            if fallback:
                return fallback
            return OutOfReach(f"provider {config_key} sets no region in the configuration (it comes from the "
                              "environment or a profile); pass --region")
        module_path = module_names(text_or_none(provider.get("module_address")))
        value = self._expression_value(expression, module_path)
        if isinstance(value, str) and value:
            return value
        refs = ", ".join(r for r in as_list(expression.get("references")) if isinstance(r, str)) or "an expression"
        return OutOfReach(f"the region of provider {config_key} comes from {refs}, which the plan does not give")

    def _expression_value(self, expression: dict[str, Any], module_path: tuple[str, ...]) -> Any:
        """A configuration expression's value when it is a constant or a single variable; None otherwise."""
        if "constant_value" in expression:
            return expression["constant_value"]
        refs = [r for r in as_list(expression.get("references")) if isinstance(r, str)]
        if len(refs) != 1 or not refs[0].startswith("var."):
            return None
        name = refs[0][len("var."):]
        if not module_path:
            return as_dict(self.variables.get(name)).get("value")
        # A module variable: the calling module's argument for it, resolved in the caller's scope.
        parent = self.modules.get(module_path[:-1], {})
        call = as_dict(as_dict(parent.get("module_calls")).get(module_path[-1]))
        argument = as_dict(as_dict(call.get("expressions")).get(name))
        return self._expression_value(argument, module_path[:-1]) if argument else None

    def _region_of(self, planned: _Planned) -> str | Unknown | OutOfReach:
        # Provider 6 gives every resource its own region argument; an existing stream's ARN names its region.
        own = text_or_none(planned.after.get("region"))
        if own:
            return own
        arn = parse_arn(planned.after.get("arn"))
        if arn is not None and arn.region:
            return arn.region
        if planned.config is None:
            if not self.has_configuration:
                return self.options.region or OutOfReach("the plan has no configuration section, so its "
                                                         "providers' regions are not known; pass --region")
            return self.provider_region(None)
        return self.provider_region(text_or_none(planned.config.get("provider_config_key")))

    # --- keys ------------------------------------------------------------------------------------------------

    def _index_keys(self) -> None:
        for planned in self.planned:
            if planned.rtype == KEY_TYPE and planned.extra["mode"] == "managed":
                self.key_index.add_key(self._key_facts(planned))
            elif planned.rtype == ALIAS_TYPE:
                self.key_index.add_alias(alias_facts(planned.address, planned.after))
        # Keys the plan does not change but reads: data sources and prior state of keys no longer configured.
        prior = as_dict(as_dict(as_dict(self.plan.get("prior_state")).get("values")).get("root_module"))
        for module in walk_modules(prior, "child_modules"):
            for res in as_list(module.get("resources")):
                if not isinstance(res, dict) or not isinstance(res.get("address"), str):
                    continue
                values = as_dict(res.get("values"))
                if res.get("type") == KEY_TYPE and res.get("mode") == "data":
                    self.key_index.add_key(data_key_facts(res["address"], values))
                elif res.get("type") == ALIAS_TYPE:
                    self.key_index.add_alias(alias_facts(res["address"], values))

    def _key_facts(self, planned: _Planned) -> KeyFacts:
        deleted = set(planned.actions) == {"delete"}
        # A key being destroyed is scheduled for deletion by KMS; what it was is in "before".
        after = planned.before if deleted else planned.after
        policy: str | OutOfReach | None
        text = text_or_none(after.get("policy"))
        if text:
            policy = text
        elif "policy" in planned.expressions:
            policy = OutOfReach(f"the policy of {planned.address} is known only after apply")
        elif planned.config is None and not planned.unknown("policy"):
            policy = OutOfReach(f"the plan does not show the policy of {planned.address}")
        else:
            policy = None  # no policy written: KMS gives the key its default policy
        enabled = after.get("is_enabled")
        rotation, days = rotation_of(after, absent=self._rotation_absent(planned))
        region = self._region_of(planned) if planned.config is not None or parse_arn(after.get("arn")) else \
            OutOfReach(f"the plan has no configuration for {planned.address}")
        return KeyFacts(
            address=planned.address,
            arn=text_or_none(after.get("arn")),
            key_id=text_or_none(after.get("key_id")),
            region=region,
            enabled=enabled if isinstance(enabled, bool) else None,
            policy=policy,
            pending_deletion=deleted,
            rotation=rotation,
            rotation_period_days=days,
        )

    def _rotation_absent(self, planned: _Planned) -> bool | OutOfReach:
        """What a plan without enable_key_rotation means: the provider's default (off) when the configuration
        leaves it out, else a value known only after apply."""
        if planned.unknown("enable_key_rotation") or "enable_key_rotation" in planned.expressions:
            return OutOfReach(f"enable_key_rotation of {planned.address} is known only after apply")
        if planned.config is None:
            return OutOfReach(f"the plan does not show the rotation of {planned.address}")
        return False

    def _referenced_key(self, stream: _Planned, refs: list[str]) -> tuple[str, Key] | None:
        """The key a stream's ``kms_key_id`` expression references, as (reference text, Key); None if none."""
        for ref in refs:
            m = _KEY_REFERENCE.match(ref)
            if m is None:
                continue
            index = m["index"]
            if index is None and stream.index is not None and ({"count.index", "each.key"} & set(refs)):
                # aws_kms_key.k[count.index] is recorded as the references aws_kms_key.k and count.index: the key
                # instance has the stream's own index, and the reference is shown with it.
                index = index_suffix(stream.index)
                ref = m.group(0) + index + ref[m.end():]
            base = f"{stream.module_address + '.' if stream.module_address else ''}{m['type']}.{m['name']}"
            target = self._instance(base, index)
            if isinstance(target, str):
                return ref, Key(reference=ref, region=OutOfReach(target), manager=OutOfReach(target),
                                state=OutOfReach(target), policy=OutOfReach(target), declared_at=base)
            if m["type"] == KEY_TYPE:
                return ref, key_from_facts(ref, self._key_facts(target))
            return ref, self._key_through_alias(ref, target)
        return None

    def _instance(self, base: str, index: str | None) -> _Planned | str:
        """The planned instance of ``base`` (with ``index`` if given), or why it cannot be told."""
        if index is not None:
            found = self.by_address.get(base + index)
            return found if found is not None else f"{base}{index} is not in the plan"
        exact = self.by_address.get(base)
        if exact is not None:
            return exact
        instances = self.by_resource.get(base, [])
        if len(instances) == 1:
            return instances[0]
        if not instances:
            return f"{base} is not in the plan"
        return f"{base} has {len(instances)} instances and the configuration does not say which one"

    def _key_through_alias(self, reference: str, alias: _Planned) -> Key:
        target_refs = alias.references("target_key_id")
        for ref in target_refs:
            m = _KEY_REFERENCE.match(ref)
            if m is not None and m["type"] == KEY_TYPE:
                base = f"{alias.module_address + '.' if alias.module_address else ''}{KEY_TYPE}.{m['name']}"
                target = self._instance(base, m["index"])
                if not isinstance(target, str):
                    return key_from_facts(reference, self._key_facts(target), alias_facts(alias.address, alias.after))
        target_id = text_or_none(alias.after.get("target_key_id"))
        if target_id:
            facts, _ = self.key_index.find(target_id)
            if facts is not None:
                return key_from_facts(reference, facts, alias_facts(alias.address, alias.after))
        why = f"the key behind {alias.address} is not declared in this plan"
        return Key(reference=reference, region=self._region_of(alias), manager=OutOfReach(why),
                   state=OutOfReach(why), policy=OutOfReach(why), declared_at=alias.address)

    # --- streams ---------------------------------------------------------------------------------------------

    def streams(self) -> list[Stream]:
        out: list[Stream] = []
        wanted = [p for p in self.planned if p.rtype == STREAM_TYPE and p.extra["mode"] == "managed"
                  and set(p.actions) not in _SKIPPED_ACTIONS]
        lines = self._lines([p.address for p in wanted])
        for planned in wanted:
            line = lines.get(planned.address)
            if not planned.extra["has_after"]:
                out.append(self._stream_without_values(planned, line))
                continue
            try:
                out.append(self.to_stream(planned, line))
            except (TypeError, ValueError, AttributeError, KeyError) as err:
                # A shape no Terraform writes: an error for the input, an unknown for the stream, and the scan goes on.
                why = f"cannot read {planned.address}: {err}"
                self.errors.append(InputError(self.shown, why, line, ErrorKind.INCOMPLETE))
                out.append(Stream(planned.address, STREAM_TYPE, Location(KIND, self.shown, line),
                                  Unknown(why, _RESOLVE_UNREADABLE)))
        return out

    def _stream_without_values(self, planned: _Planned, line: int | None) -> Stream:
        """A stream the plan changes but gives no planned values for (change.after is null or missing): nothing
        about its encryption can be read, so it is judged unknown rather than dropped."""
        why = Unknown(f"the plan gives no planned values (change.after) for {planned.address}",
                      "save the plan again with terraform show -json, or scan the configuration or the state")
        return Stream(address=planned.address, resource_type=STREAM_TYPE, location=Location(KIND, self.shown, line),
                      encryption_type=why, region=self._region_of(planned), importing=planned.importing,
                      facts={"actions": list(planned.actions), "after": None})

    def _lines(self, addresses: list[str]) -> dict[str, int]:
        if not addresses:
            return {}
        start = self.text.find('"resource_changes"')
        return LineFinder(self.text, "address", max(start, 0)).lines(addresses)

    def to_stream(self, planned: _Planned, line: int | None) -> Stream:
        """One planned stream in the model: ``after`` read with the configuration that wrote it."""
        region = self._region_of(planned)
        arn_text = text_or_none(planned.after.get("arn"))
        arn = parse_arn(arn_text)
        encryption = self._encryption_type(planned)
        key_reference, key = self._key(planned, region)
        facts: dict[str, Any] = {
            "actions": list(planned.actions),
            "after.encryption_type": planned.after.get("encryption_type"),
            "after.kms_key_id": "(known after apply)" if planned.unknown("kms_key_id")
            else planned.after.get("kms_key_id"),
        }
        if planned.config is not None:
            facts["configuration.encryption_type"] = "written" if "encryption_type" in planned.expressions \
                else "omitted"
            refs = planned.references("kms_key_id")
            if refs:
                facts["configuration.kms_key_id.references"] = refs
        else:
            facts["configuration"] = "the plan has no configuration block for this resource"
        return Stream(
            address=planned.address,
            resource_type=STREAM_TYPE,
            location=Location(KIND, self.shown, line),
            encryption_type=encryption,
            key_reference=key_reference,
            key=key,
            region=region,
            account=(arn.account or None) if arn is not None else None,
            arn=arn_text,
            name=text_or_none(planned.after.get("name")),
            importing=planned.importing,
            facts=facts,
        )

    def _encryption_type(self, planned: _Planned) -> str | Unknown | None:
        after_value = planned.after.get("encryption_type")
        if planned.config is not None:
            expression = as_dict(planned.expressions.get("encryption_type"))
            if not expression:
                return None  # omitted: after shows the provider default NONE, which is not a choice anyone made
            if "constant_value" in expression and expression["constant_value"] is None:
                return None
            if not planned.module_address and self._is_null_variable(expression):
                return None
        if planned.unknown("encryption_type"):
            refs = ", ".join(planned.references("encryption_type")) or "an expression"
            return Unknown(f"encryption_type of {planned.address} is known only after apply (it comes from {refs})",
                           "give it a value known at plan time, or scan the state after apply")
        if isinstance(after_value, str):
            return after_value
        if after_value is None and planned.config is None:
            return None
        return Unknown(f"the plan gives no readable encryption_type for {planned.address}",
                       "scan the Terraform configuration or the state instead")

    def _is_null_variable(self, expression: dict[str, Any]) -> bool:
        refs = [r for r in as_list(expression.get("references")) if isinstance(r, str)]
        if len(refs) != 1 or not refs[0].startswith("var."):
            return False
        variable = as_dict(self.variables.get(refs[0][len("var."):]))
        return "value" in variable and variable["value"] is None

    def _key(self, planned: _Planned, region: str | Unknown | OutOfReach) -> tuple[str | Unknown | None, Key | None]:
        refs = planned.references("kms_key_id")
        referenced = self._referenced_key(planned, refs)
        if planned.unknown("kms_key_id"):
            if referenced is not None:
                return referenced
            named = ", ".join(refs) if refs else "an expression" if planned.config is not None else \
                "an expression the plan's configuration does not show"
            return Unknown(
                f"kms_key_id of {planned.address} is known only after apply and comes from {named}, not from an "
                "aws_kms_key or aws_kms_alias resource",
                "reference the key resource (aws_kms_key.NAME.arn or aws_kms_alias.NAME.arn), give a literal key "
                "ARN or alias, or scan the state after apply",
            ), None
        value = planned.after.get("kms_key_id")
        if value is None:
            return None, None
        if not isinstance(value, str):
            return Unknown(f"the plan gives kms_key_id of {planned.address} as {value!r}, not a key reference",
                           "scan the Terraform configuration or the state instead"), None
        if not value.strip():
            return value, None
        # a known value names its key exactly; the configuration reference is only a guess at the instance
        facts, alias = self.key_index.find(value)
        if facts is not None:
            return value, key_from_facts(value, facts, alias)
        if referenced is not None:
            return value, _with_reference(referenced[1], value)
        return value, literal_key(value, region, f"key {value} is not declared in this plan; scan live with "
                                                 "sseguard aws to check it")


def _with_reference(key: Key, reference: str) -> Key:
    return replace(key, reference=reference)


