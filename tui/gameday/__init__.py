"""Game day: a host serving seats (IMOC, TLOC, observers), a facilitator console and a spectator page."""
