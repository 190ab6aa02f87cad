using Headless.Contracts.Catalog;

namespace Headless.Contracts.Admin;

/// <summary>The dashboard's first screen: the last 30 UTC days (today included), orders awaiting payment, the 10 newest orders.</summary>
public sealed record AdminOverview(DateOnly From, DateOnly To, IReadOnlyList<OverviewDay> Days, long AwaitingPayment, IReadOnlyList<OverviewOrder> LatestOrders);

/// <summary>One UTC day: orders placed (any status) and revenue per currency in minor units (orders that were paid, less refunds).</summary>
public sealed record OverviewDay(DateOnly Date, int Orders, IReadOnlyList<Money> Revenue);

public sealed record OverviewOrder(Guid Id, string Number, string Status, Money Total, DateTimeOffset CreatedAt);

/// <summary>The data of one live-feed event: an order event from the outbox and the order as it is now.</summary>
public sealed record LiveOrderEvent(string Topic, Guid OrderId, string Number, string Status, Money Total, DateTimeOffset CreatedAt);
