"""The archivists' workspace (không gian làm việc): web screens over the gateway's API."""
