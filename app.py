"""The patient web chat: ``python app.py [--host H] [--port P] [--store LOCATION]``.

On an empty store it first loads the sample archive, so the quick start answers at once.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start the askclinic web chat on this machine.")
    parser.add_argument("--host", default=None, help="address to listen on [env GRADIO_SERVER_NAME; default 127.0.0.1]")
    parser.add_argument(
        "--port", type=int, default=None, help="port [env GRADIO_SERVER_PORT; default 7860, or the next free one]"
    )
    parser.add_argument(
        "--store",
        default=None,
        help="store folder or http(s)://host:port [env ASKCLINIC_STORE; default .askclinic/store]",
    )
    args = parser.parse_args(argv)
    from askclinic.logs import configure_logging

    configure_logging()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import typer

    from askclinic.cli_serve import serve

    try:
        serve(args.host, args.port, args.store)
    except typer.Exit as e:  # the error was already printed
        raise SystemExit(e.exit_code) from None


if __name__ == "__main__":
    main()
