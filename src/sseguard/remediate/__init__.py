"""Live remediation (``sseguard remediate``): turn encryption on for live streams that fail the control, after a
preflight of the key that would be used, and record every change in the history.

- ``plan``: which streams to change, and with which key (pure).
- ``preflight``: whether that key is safe to use, judged by ``control.evaluate`` itself (pure).
- ``limit``: the 25 key changes per stream per rolling 24 hours, counted from the history.
- ``apply``: StartStreamEncryption, then DescribeStreamSummary until the stream is ACTIVE with the key.
- ``run``: the whole command, from the accounts to one ``Entry`` per stream.
- ``record``: an entry as a history row; ``render``: the text and JSON outputs.
"""
