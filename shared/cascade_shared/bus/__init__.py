"""The event bus: one interface, two implementations (in-process and RabbitMQ)."""

from cascade_shared.bus.base import EventBus, EventHandler
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.bus.parked import ParkedStore
from cascade_shared.settings import Settings

__all__ = ["EventBus", "EventHandler", "InProcessBus", "ParkedStore", "make_bus"]


def make_bus(settings: Settings) -> EventBus:
    """The bus the settings ask for."""
    if settings.bus == "rabbitmq":
        from cascade_shared.bus.rabbitmq import RabbitMQBus

        return RabbitMQBus(
            settings.broker_url(),
            namespace=settings.namespace,
            prefetch=settings.prefetch,
            delivery_limit=settings.delivery_limit,
            publish_timeout=settings.publish_timeout,
            connection_name=f"{settings.namespace}.{settings.service}",
            producer_user=settings.broker_user_template,
        )
    return InProcessBus(
        delivery_limit=settings.delivery_limit,
        parked=ParkedStore(settings.data_dir / "dead-letters.sqlite3"),
    )
