"""The flood benchmark's parts, on top of the integration lab
(tests/integration/lab): the attacker's route and addresses, the defenses,
the workload processes, the samplers and the report. Python stdlib only."""
