-- One database per stateful service (ingest, catalogue, handover, gateway): services never share
-- tables.
-- Run once by the postgres image on an empty data volume, as POSTGRES_USER (sohoa), who owns them.
CREATE DATABASE ingest;
CREATE DATABASE catalogue;
CREATE DATABASE handover;
CREATE DATABASE gateway;
