"""Alembic migrations of the store's schema; ``benchcast.store.migrate`` runs them."""
