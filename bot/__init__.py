"""SecondRound's platform-neutral coaching core.

Nothing in this package imports a chat platform's SDK: adapters (``adapters/``) translate platform
events into :class:`bot.common.types.IncomingMessage` and render :class:`bot.common.types.Reply` back.
"""

__version__ = "0.1.0"
