using Headless.Api.Platform.Vaults;

namespace Headless.Api.Platform.Database;

/// <summary>The code steps the migrations need (<see cref="MigrationStep"/>), run by every migrating path: the API's
/// start-up and the operator commands (`migrate` in production's deploy step).</summary>
public static class MigrationSteps
{
    public const string DropPlainPersonalColumns = "0035_drop_plain_personal_columns";

    public static IReadOnlyList<MigrationStep> Of(IServiceProvider services) =>
    [
        // 0035 drops the plain personal columns: whatever rows written before 0030/0031 still hold goes into the vaults first.
        new(DropPlainPersonalColumns, PlainDataMove.CommandName, async ct =>
        {
            try
            {
                await services.GetRequiredService<PlainDataMove>().RunAsync(ct: ct);
            }
            catch (VaultUnavailableException e)
            {
                throw new InvalidOperationException(
                    $"Migration {DropPlainPersonalColumns} waits for rows from before the vaults to be moved into them, and the {e.Region} vault "
                    + $"cannot be reached. Nothing was dropped; start again (or run ./build.sh {PlainDataMove.CommandName}) once it answers.", e);
            }
        }),
    ];
}
