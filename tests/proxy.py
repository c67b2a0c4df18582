"""A cuttable TCP link between a service and a server (RabbitMQ or PostgreSQL), standing in for
the network: ``cut`` refuses new connections and drops the open ones; ``open`` restores it."""

from __future__ import annotations

import asyncio

from tests.cluster import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self.target_host = target_host
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()
        self.writers.clear()
        self.server = None

    async def close(self) -> None:
        if self.server is not None:
            await self.cut()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            return
        self.writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
