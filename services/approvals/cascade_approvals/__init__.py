"""The approvals service: a case per submitted plan version, decided step by step."""
