-- PropmailEnsureRegion: create a region (with a frequency row for every existing list) or
-- rename it; used by `propmail db init --region ID[=NAME]`.
CREATE OR ALTER PROCEDURE dbo.PropmailEnsureRegion
    @regionId INT,
    @name NVARCHAR(255) = NULL,
    @frequency INT = 26,
    @dividedBy INT = 4
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @created INT;

    BEGIN TRY
        BEGIN TRANSACTION;
        INSERT INTO dbo.Region (RegionId, Name)
        SELECT @regionId, @name
        WHERE NOT EXISTS (
            SELECT 1 FROM dbo.Region AS r WITH (UPDLOCK, HOLDLOCK) WHERE r.RegionId = @regionId
        );
        SET @created = @@ROWCOUNT;

        IF @created = 0 AND @name IS NOT NULL
        BEGIN
            UPDATE dbo.Region SET Name = @name WHERE RegionId = @regionId;
        END;

        IF @created = 1
            INSERT INTO dbo.RegionListFrequency (Frequency, ListId, RegionId, DividedBy)
            SELECT @frequency, lp.ListPriorityId, @regionId, @dividedBy
            FROM dbo.ListPriority AS lp
            ORDER BY lp.ListPriorityId;
        COMMIT TRANSACTION;
    END TRY
    BEGIN CATCH
        IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;
        THROW;
    END CATCH;

    SELECT @created AS Created;
END;
GO
