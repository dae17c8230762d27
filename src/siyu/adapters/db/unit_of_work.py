"""The SQL unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from siyu.adapters.db.engine import READ_ONLY
from siyu.adapters.db.repositories.alerts import AlertRepository
from siyu.adapters.db.repositories.channels import ChannelRepository
from siyu.adapters.db.repositories.contact_pressure import ContactPressureRepository
from siyu.adapters.db.repositories.contact_ways import ContactWayRepository
from siyu.adapters.db.repositories.group_codes import GroupCodeRepository
from siyu.adapters.db.repositories import customer_search
from siyu.adapters.db.repositories.customers import CustomerRepository
from siyu.adapters.db.repositories.duplicates import DuplicateRepository
from siyu.adapters.db.repositories.events import EventRepository
from siyu.adapters.db.repositories.experiments import ExperimentRepository
from siyu.adapters.db.repositories.mass_sends import MassSendRepository
from siyu.adapters.db.repositories.fields import FieldRepository
from siyu.adapters.db.repositories.guide_tasks import GuideTaskRepository
from siyu.adapters.db.repositories.identities import IdentityRepository
from siyu.adapters.db.repositories.journeys import JourneyRepository
from siyu.adapters.db.repositories.member_levels import MemberLevelRepository
from siyu.adapters.db.repositories.merges import MergeRepository
from siyu.adapters.db.repositories.moments import MomentRepository
from siyu.adapters.db.repositories.orders import OrderRepository
from siyu.adapters.db.repositories.regions import RegionRepository
from siyu.adapters.db.repositories.relations import RelationRepository
from siyu.adapters.db.repositories.segments import SegmentRepository
from siyu.adapters.db.repositories.stages import StageRepository
from siyu.adapters.db.repositories.tags import TagRepository
from siyu.adapters.db.repositories.timeline import TimelineRepository
from siyu.adapters.db.repositories.sessions import SessionRepository
from siyu.adapters.db.repositories.staff import StaffRepository
from siyu.adapters.db.repositories.stores import StoreRepository
from siyu.adapters.db.repositories.tenants import TenantRepository
from siyu.adapters.db.repositories.tokens import ApiTokenRepository
from siyu.adapters.db.repositories.transfers import TransferRepository
from siyu.adapters.db.repositories.users import UserRepository
from siyu.adapters.db.repositories.wecom import WeComRepository
from siyu.adapters.db.repositories.wecom_media import WeComMediaRepository
from siyu.adapters.db.repositories.welcome import WelcomeRepository
from siyu.adapters.db.repositories.wecom_sync import WeComSyncRepository
from siyu.domain.errors import Conflict


class SqlUnitOfWork:
    tenants: TenantRepository
    regions: RegionRepository
    stores: StoreRepository
    staff: StaffRepository
    users: UserRepository
    sessions: SessionRepository
    tokens: ApiTokenRepository
    customers: CustomerRepository
    identities: IdentityRepository
    relations: RelationRepository
    tags: TagRepository
    stages: StageRepository
    member_levels: MemberLevelRepository
    fields: FieldRepository
    timeline: TimelineRepository
    merges: MergeRepository
    duplicates: DuplicateRepository
    wecom: WeComRepository
    wecom_sync: WeComSyncRepository
    alerts: AlertRepository
    transfers: TransferRepository
    channels: ChannelRepository
    orders: OrderRepository
    events: EventRepository
    contact_ways: ContactWayRepository
    group_codes: GroupCodeRepository
    welcome: WelcomeRepository
    segments: SegmentRepository
    experiments: ExperimentRepository
    mass_sends: MassSendRepository
    contact_pressure: ContactPressureRepository
    journeys: JourneyRepository
    guide_tasks: GuideTaskRepository
    moments: MomentRepository
    wecom_media: WeComMediaRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._read_only = False

    def reading(self) -> SqlUnitOfWork:
        """This unit of work for one ``with`` that only reads: on SQLite it begins deferred and
        holds no write lock (see :mod:`siyu.adapters.db.engine`); it cannot commit."""
        self._read_only = True
        return self

    def __enter__(self) -> SqlUnitOfWork:
        if self._session is not None:
            raise RuntimeError("a unit of work is not re-entrant; start a new one")
        session = self._session = self._session_factory()
        if self._read_only:
            session.connection(execution_options={READ_ONLY: True})
        self.tenants = TenantRepository(session)
        self.regions = RegionRepository(session)
        self.stores = StoreRepository(session)
        self.staff = StaffRepository(session)
        self.users = UserRepository(session)
        self.sessions = SessionRepository(session)
        self.tokens = ApiTokenRepository(session)
        self.customers = CustomerRepository(session)
        self.identities = IdentityRepository(session)
        self.relations = RelationRepository(session)
        self.tags = TagRepository(session)
        self.stages = StageRepository(session)
        self.member_levels = MemberLevelRepository(session)
        self.fields = FieldRepository(session)
        self.timeline = TimelineRepository(session)
        self.merges = MergeRepository(session)
        self.duplicates = DuplicateRepository(session)
        self.wecom = WeComRepository(session)
        self.wecom_sync = WeComSyncRepository(session)
        self.alerts = AlertRepository(session)
        self.transfers = TransferRepository(session)
        self.channels = ChannelRepository(session)
        self.orders = OrderRepository(session)
        self.events = EventRepository(session)
        self.contact_ways = ContactWayRepository(session)
        self.group_codes = GroupCodeRepository(session)
        self.welcome = WelcomeRepository(session)
        self.segments = SegmentRepository(session)
        self.experiments = ExperimentRepository(session)
        self.mass_sends = MassSendRepository(session)
        self.contact_pressure = ContactPressureRepository(session)
        self.journeys = JourneyRepository(session)
        self.guide_tasks = GuideTaskRepository(session)
        self.moments = MomentRepository(session)
        self.wecom_media = WeComMediaRepository(session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None
            self._read_only = False

    @property
    def session(self) -> Session:
        assert self._session is not None, "outside `with uow:`"
        return self._session

    def commit(self) -> None:
        assert self._session is not None, "commit() outside `with uow:`"
        assert not self._read_only, "commit() in a unit of work opened with reading()"
        try:
            customer_search.refresh(self._session)  # the search index follows every commit (SQLite)
            self._session.commit()
        except IntegrityError as exc:
            # The services check uniqueness first; this catches the race between two writers.
            raise Conflict("record.concurrent_write", "this clashes with a record saved at the same moment; reload and retry") from exc
