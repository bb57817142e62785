"""The dashboard only reads the other areas' tables: no model of its own."""
