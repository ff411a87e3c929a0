"""Users, units and their staff, categories, notifications and text messages."""

import factory

from hotline.models import (
    Category,
    DeadlineTier,
    Membership,
    Notification,
    NotificationKind,
    Role,
    SmsMessage,
    Unit,
    UnitKind,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("secret-pass-123")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.CITY_DEPARTMENT
    parent = factory.LazyFunction(lambda: Unit.objects.filter(kind=UnitKind.CITY).first() or CityFactory())


class CityFactory(UnitFactory):
    name = "北京市"
    kind = UnitKind.CITY
    parent = None
    code = "110000000000"


class DistrictFactory(UnitFactory):
    name = factory.Sequence(lambda n: f"测试{n}区")
    kind = UnitKind.DISTRICT
    code = factory.Sequence(lambda n: f"19{n % 10000:04d}000000")
    population = 1_000_000


class StreetFactory(UnitFactory):
    name = factory.Sequence(lambda n: f"测试{n}街道")
    kind = UnitKind.STREET
    parent = factory.SubFactory(DistrictFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.UNIT_OFFICER


class CategoryFactory(factory.django.DjangoModelFactory):
    """A leaf category with its two ancestors."""

    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"分类{n}")
    level = 3
    default_tier = DeadlineTier.GENERAL
    parent = factory.LazyAttribute(
        lambda o: Category.objects.create(
            code=f"{o.code}b",
            name=f"{o.name}-二级",
            level=2,
            parent=Category.objects.create(code=f"{o.code}a", name=f"{o.name}-一级", level=1),
        )
    )


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.DISPATCHED
    title = "新工单"
    key = factory.Sequence(lambda n: f"notice-{n}")


class SmsMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmsMessage

    phone = "13800000000"
    text = "您有新的工单。"
    key = factory.Sequence(lambda n: f"sms-{n}")
