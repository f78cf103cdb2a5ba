"""marshmallow schemas: validation at the edge and the OpenAPI document, from one source."""
