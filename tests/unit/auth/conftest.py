from tests.unit.auth.memory_keyring import memory_keyring

__all__ = ["memory_keyring"]
