"""What the console keeps for the life of the process: context, languages, signers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from siyu.bootstrap import Context
from siyu.web.i18n import Language, build_languages


@dataclass(frozen=True, slots=True)
class Console:
    context: Context
    languages: dict[str, Language]
    csrf_signer: URLSafeTimedSerializer
    flash_signer: URLSafeSerializer

    @classmethod
    def build(cls, context: Context) -> Console:
        key = context.settings.secret_key
        return cls(
            context=context,
            languages=build_languages(),
            csrf_signer=URLSafeTimedSerializer(key, salt="csrf"),
            flash_signer=URLSafeSerializer(key, salt="flash"),
        )


def get_console(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]
