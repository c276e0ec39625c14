"""What every adapter provides to the program that runs it: :class:`bot.reminders.delivery.Adapter`.

The protocol is defined in the core (which must not import this package); it is re-exported here
for adapters' convenience.
"""

from bot.reminders.delivery import Adapter, Deliverer, DeliveryError

__all__ = ["Adapter", "Deliverer", "DeliveryError"]
