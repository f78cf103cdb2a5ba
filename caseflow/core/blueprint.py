"""The blueprint class of every API module: flask-smorest's, with a required JSON body enforced."""
from __future__ import annotations

from functools import wraps

import flask_smorest

from caseflow.core import http
from caseflow.core.errors import validation_problem

NO_BODY = "リクエスト本文（JSON）がありません。"


class Blueprint(flask_smorest.Blueprint):
    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """flask-smorest's `arguments`, where `required` (the default) means what the OpenAPI document says:
        the request must have a body. flask-smorest only documents it, and webargs loads a missing body as
        `{}`, so a POST with no body at all created an empty person or household. A route whose body is
        optional (an action with at most a reason) says `required=False`."""
        decorator = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return decorator

        def require_body(func):
            parsed = decorator(func)

            @wraps(parsed)
            def view(*args, **kw):
                if not http.has_body():
                    raise validation_problem({"json": [NO_BODY]}, detail="リクエスト本文（JSON）を送信してください。")
                return parsed(*args, **kw)

            return view

        return require_body
