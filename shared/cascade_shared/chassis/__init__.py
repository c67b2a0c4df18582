"""The service chassis: what turns a service's definition (tables, routes, handlers, workers)
into a running process - the runtime and its consumer, the app factory, health, metrics,
guards, the periodic workers, the registry of installed services, migrations and the operators'
commands. It builds on the library beside it in :mod:`cascade_shared` (envelope, catalogue,
bus, outbox, inbox, auth), which never imports it."""
