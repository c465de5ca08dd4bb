"""Imports every table so that ``Base.metadata`` (and Alembic) sees the whole schema."""

from fincall.agents import models as agents_models  # noqa: F401
from fincall.auth import models as auth_models  # noqa: F401
from fincall.channels.chat import models as chat_models  # noqa: F401
from fincall.channels.email import models as email_models  # noqa: F401
from fincall.channels.voice import models as voice_models  # noqa: F401
from fincall.channels.webhooks import models as webhook_models  # noqa: F401
from fincall.contacts import models as contacts_models  # noqa: F401
from fincall.customers import models as customers_models  # noqa: F401
from fincall.flows import models as flows_models  # noqa: F401
from fincall.knowledge import models as knowledge_models  # noqa: F401
from fincall.outbound import models as outbound_models  # noqa: F401
from fincall.products import models as products_models  # noqa: F401
from fincall.qa import models as qa_models  # noqa: F401
from fincall.routing import models as routing_models  # noqa: F401
