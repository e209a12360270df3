"""sohoa's common library: what two or more services need (events, envelope, Kafka, outbox,
object store, database, logging, HTTP probes). It never imports a service."""
