"""The name (``import_name``) of the test app that worker and server processes load."""

APP_NAME = "worker_test_app"
