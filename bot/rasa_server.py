"""The Rasa server as this project runs it: Rasa 3.6's own `rasa run`, with one fix applied first.

Rasa checks every action server response against a JSON schema with `jsonschema.validate`, which
first validates the schema itself and builds a new validator each time. Under load that was 63 % of
the Rasa server's CPU (py-spy, 50 shoppers; bench/README.md). The schema never changes, so the fix
checks it once and keeps one validator; responses are validated exactly as before, with the same
errors.

    python -m bot serve-rasa --enable-api --model ... (the arguments of `rasa run`)
"""
import sys
from typing import List, Optional


def keep_one_action_response_validator() -> None:
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self, result) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (f". Failed to validate Action server response from API, make sure your response "
                          f"from the Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error

    RemoteAction._validate_action_result = _validate_action_result


def main(argv: Optional[List[str]] = None) -> int:
    keep_one_action_response_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "run", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
