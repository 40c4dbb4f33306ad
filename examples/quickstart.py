"""Quickstart: serve the iris app on a real port, train it, save it, load it, predict.

Runs on the embedded defaults (SQLite and a local folder in a temporary directory; no broker).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["CHARIOTS_HOME"] = home
        import iris_app

        from chariots_core.pipelines import PipelinesClient

        server = make_server("127.0.0.1", 0, iris_app.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        print(f"iris app served at {url}")
        try:
            client = PipelinesClient(url)
            client.call_pipeline(iris_app.train)
            client.save_pipeline(iris_app.train)
            print("trained and saved:", sorted(client.pipeline_versions(iris_app.train)))
            client.load_pipeline(iris_app.predict)
            samples = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
            response = client.call_pipeline(iris_app.predict, samples)
            print("predicted species for", samples, "->", response.value)
            assert response.value == [0, 2], response.value
        finally:
            server.shutdown()
            thread.join()
            iris_app.app.op_store_client.close()
    print("quickstart done")


if __name__ == "__main__":
    main()
