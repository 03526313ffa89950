"""Sensors and bytes: packet model, pure decoders, the simulated sensor and the BLE
glue (:mod:`devices.ble`).

Nothing outside this package imports bleak. Decoders are pure functions ``bytes -> typed sample``
that bounds-check untrusted data and raise only :class:`devices.errors.DecodeError`.
"""
