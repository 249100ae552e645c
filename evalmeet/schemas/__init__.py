"""The schema layer: one pydantic model for every request body, socket payload and response.

Services take these models and give them back; the edges parse input into them (``parse``) and
answer with them; the OpenAPI document of ``/api/v1`` is generated from the same models
(``evalmeet.web.api.spec``). No Flask here: services may import this package.
"""
