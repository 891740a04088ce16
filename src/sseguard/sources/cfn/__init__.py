"""CloudFormation internals: template loading, intrinsic functions, keys, suppressions, and the stream adapter.

``sseguard.sources.cloudformation`` is the source module the scanner calls; this package holds its parts.
"""
