"""Settings from flags, ``ASKCLINIC_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE = ".askclinic/store"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASKCLINIC_", env_file=".env", extra="ignore")

    store: str = Field(DEFAULT_STORE, description="store folder, or http(s)://host:port of a Chroma server")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="packaged model name or a local model folder")
    embedding_dtype: str = Field(
        "auto", description="auto (bfloat16 where the CPU runs it natively), float32, bfloat16"
    )
    max_post_bytes: int = Field(2_000_000, gt=0)
    llm: str = Field("", description="'' (extractive only), 'openai' (any OpenAI-compatible server) or 'ollama'")
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = "not-needed"
    llm_timeout: float = Field(30.0, gt=0)
    feedback_db: str = Field(
        ".askclinic/feedback.sqlite3",
        description="feedback and question-log database: a SQLite file, or a URL such as postgresql://user:pw@host/db",
    )
    question_log: bool = Field(False, description="log chat questions (scrubbed of personal data) for staff insights")
    question_log_days: int = Field(90, ge=1, description="days a logged question is kept")
    staff_password: str = Field("", description="password of the staff page; empty: no staff page")
    max_question_chars: int = Field(500, gt=0)
    cache_dir: str = Field(
        "", description="where an app keeps its word index of a Chroma server's store ('' : ~/.cache/askclinic)"
    )
    word_index_snapshot: str = Field(
        "",
        description="with a Chroma server: a file ingestion publishes the word index to, and a new app"
        " starts its own from instead of reading every chunk from the server ('' : none)",
    )
    query_threads: int = Field(1, ge=0, description="torch threads while answering (0: torch's default)")


def offline_environment() -> None:
    """Make sure nothing in this process tries to reach a model hub or send telemetry."""
    import os

    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
