-- PropmailUndoLoad: put back every row one load wrote, from its journal, all or nothing;
-- used by `propmail undo UPLOADLOGID`.
--
-- Under the load's region lock, in one transaction: refuse (naming them) while later journaled
-- loads wrote the same rows, or while a row was written since by a load without a journal;
-- then delete the locations it inserted, give the locations and owners it rewrote their
-- before-image, delete the owners it inserted that no location points to, and the list codes
-- (with their RegionListFrequency rows) it created that no location refers to; drop its
-- journal and mark UploadLog state 11 (undone). @dryRun = 1 returns the counts and rolls back.
CREATE OR ALTER PROCEDURE dbo.PropmailUndoLoad
    @uploadLogId INT,
    @lockTimeoutMs INT = 600000,
    @dryRun BIT = 0
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @rc INT;
    DECLARE @regionId INT;
    DECLARE @state INT;
    DECLARE @message NVARCHAR(4000);
    DECLARE @lockResource NVARCHAR(255);
    DECLARE @later NVARCHAR(4000);
    DECLARE @since INT;
    DECLARE @locationsDeleted INT = 0;
    DECLARE @locationsRestored INT = 0;
    DECLARE @ownersRestored INT = 0;
    DECLARE @ownersDeleted INT = 0;
    DECLARE @frequenciesDeleted INT = 0;
    DECLARE @codesDeleted INT = 0;

    BEGIN TRY
        SELECT @regionId = j.RegionId FROM dbo.PropmailJournal AS j WHERE j.UploadLogId = @uploadLogId;
        IF @regionId IS NULL
        BEGIN
            SELECT @state = u.ProcessingState FROM dbo.UploadLog AS u WHERE u.UploadLogId = @uploadLogId;
            SET @message = CONCAT(N'upload ', @uploadLogId, N' cannot be undone: ', CASE
                WHEN @state IS NULL THEN N'there is no such upload'
                WHEN @state = 11 THEN N'it was undone already'
                WHEN @state <> 3 THEN N'it did not complete: a failed load wrote nothing'
                ELSE N'its journal is not kept (retention, or loaded with [journal] enabled = false)'
            END);
            THROW 50030, @message, 1;
        END;
        SET @lockResource = CONCAT(N'propmail:region:', @regionId);

        BEGIN TRANSACTION;

        EXEC @rc = sys.sp_getapplock
            @Resource = @lockResource,
            @LockMode = N'Exclusive',
            @LockOwner = N'Transaction',
            @LockTimeout = @lockTimeoutMs;
        IF @rc < 0
        BEGIN
            SET @message = CONCAT(N'timed out waiting for a load of region ', @regionId);
            THROW 50022, @message, 1;
        END;

        -- later journaled loads that wrote rows of this one
        SELECT @later = STRING_AGG(CONCAT(N'upload ', b.UploadLogId, N' (region ', b.RegionId, N')'), N'; ')
        FROM dbo.PropmailJournal AS b
        WHERE b.UploadLogId > @uploadLogId AND (
            EXISTS (
                SELECT 1 FROM dbo.PropmailJournalOwner AS x
                JOIN dbo.PropmailJournalOwner AS y ON y.UploadLogId = b.UploadLogId AND y.Slug = x.Slug
                WHERE x.UploadLogId = @uploadLogId
            )
            OR EXISTS (
                SELECT 1 FROM dbo.PropmailJournalLocation AS x
                JOIN dbo.PropmailJournalLocation AS y
                    ON y.UploadLogId = b.UploadLogId AND y.RegionId = x.RegionId AND y.PrimaryId = x.PrimaryId
                WHERE x.UploadLogId = @uploadLogId
            )
        );
        IF @later IS NOT NULL
        BEGIN
            SET @message = CONCAT(N'upload ', @uploadLogId, N' cannot be undone: later loads wrote its rows since: ', @later, N'; undo those first (newest first)');
            THROW 50031, @message, 1;
        END;

        -- rows written since by a load that kept no journal
        SELECT @since = (
            SELECT COUNT(*) FROM dbo.PropmailJournalOwner AS x
            JOIN dbo.PropmailJournal AS j ON j.UploadLogId = x.UploadLogId
            JOIN dbo.Owner AS t ON t.Slug = x.Slug
            WHERE x.UploadLogId = @uploadLogId AND t.UpdatedDate > j.LoadedAt
        ) + (
            SELECT COUNT(*) FROM dbo.PropmailJournalLocation AS x
            JOIN dbo.PropmailJournal AS j ON j.UploadLogId = x.UploadLogId
            JOIN dbo.Location AS t ON t.RegionId = x.RegionId AND t.PrimaryId = x.PrimaryId
            WHERE x.UploadLogId = @uploadLogId AND t.UpdatedDate > j.LoadedAt
        );
        IF @since > 0
        BEGIN
            SET @message = CONCAT(N'upload ', @uploadLogId, N' cannot be undone: ', @since, N' of the rows it wrote were written since by a load that kept no journal');
            THROW 50032, @message, 1;
        END;

        DELETE l FROM dbo.Location AS l
        JOIN dbo.PropmailJournalLocation AS x
            ON x.RegionId = l.RegionId AND x.PrimaryId = l.PrimaryId
        WHERE x.UploadLogId = @uploadLogId AND x.Inserted = 1;
        SET @locationsDeleted = @@ROWCOUNT;

        UPDATE l SET
            OwnerId = x.OwnerId,
            ListPriorityId = x.ListPriorityId,
            PriorityCode = x.PriorityCode,
            IsOwnerOccupied = x.IsOwnerOccupied,
            IsTrust = x.IsTrust,
            IsChurch = x.IsChurch,
            IsBusiness = x.IsBusiness,
            OwnerGrantorMatch = x.OwnerGrantorMatch,
            Address1 = x.Address1,
            City = x.City,
            State = x.State,
            Zip = x.Zip,
            County = x.County,
            Neighborhood = x.Neighborhood,
            Acres = x.Acres,
            SellDate = x.SellDate,
            SellAmount = x.SellAmount,
            Grantor = x.Grantor,
            EstLoanToValue = x.EstLoanToValue,
            EstEquity = x.EstEquity,
            LienType = x.LienType,
            BKDate = x.BKDate,
            DivorceDate = x.DivorceDate,
            PreFcRecordingDate = x.PreFcRecordingDate,
            Vacant = x.Vacant,
            ResponseNCOA = x.ResponseNCOA,
            InsertedDate = x.InsertedDate,
            ModifiedDate = x.ModifiedDate,
            UpdatedDate = x.UpdatedDate
        FROM dbo.Location AS l
        JOIN dbo.PropmailJournalLocation AS x ON x.LocationId = l.LocationId
        WHERE x.UploadLogId = @uploadLogId AND x.Inserted = 0;
        SET @locationsRestored = @@ROWCOUNT;

        UPDATE o SET
            Name = x.Name,
            FirstName = x.FirstName,
            LastName = x.LastName,
            Address1 = x.Address1,
            Address2 = x.Address2,
            City = x.City,
            State = x.State,
            Zip = x.Zip,
            FullAddress = x.FullAddress,
            IsBusiness = x.IsBusiness,
            AlternateName = x.AlternateName,
            DoNotMail = x.DoNotMail,
            MailingZip4 = x.MailingZip4,
            MailingCounty = x.MailingCounty,
            AccuzipRequest = x.AccuzipRequest,
            AccuzipResponse = x.AccuzipResponse,
            InsertedDate = x.InsertedDate,
            ModifiedDate = x.ModifiedDate,
            UpdatedDate = x.UpdatedDate
        FROM dbo.Owner AS o
        JOIN dbo.PropmailJournalOwner AS x ON x.OwnerId = o.OwnerId
        WHERE x.UploadLogId = @uploadLogId AND x.Inserted = 0;
        SET @ownersRestored = @@ROWCOUNT;

        DELETE o FROM dbo.Owner AS o
        JOIN dbo.PropmailJournalOwner AS x ON x.Slug = o.Slug
        WHERE x.UploadLogId = @uploadLogId AND x.Inserted = 1
            AND NOT EXISTS (SELECT 1 FROM dbo.Location AS l WHERE l.OwnerId = o.OwnerId);
        SET @ownersDeleted = @@ROWCOUNT;

        DELETE f FROM dbo.RegionListFrequency AS f
        JOIN dbo.PropmailJournalList AS x ON x.ListPriorityId = f.ListId
        WHERE x.UploadLogId = @uploadLogId
            AND NOT EXISTS (SELECT 1 FROM dbo.Location AS l WHERE l.ListPriorityId = f.ListId);
        SET @frequenciesDeleted = @@ROWCOUNT;

        DELETE lp FROM dbo.ListPriority AS lp
        JOIN dbo.PropmailJournalList AS x ON x.ListPriorityId = lp.ListPriorityId
        WHERE x.UploadLogId = @uploadLogId
            AND NOT EXISTS (SELECT 1 FROM dbo.Location AS l WHERE l.ListPriorityId = lp.ListPriorityId)
            AND NOT EXISTS (
                SELECT 1 FROM dbo.RegionListFrequency AS f WHERE f.ListId = lp.ListPriorityId
            );
        SET @codesDeleted = @@ROWCOUNT;

        DELETE FROM dbo.PropmailJournalOwner WHERE UploadLogId = @uploadLogId;
        DELETE FROM dbo.PropmailJournalLocation WHERE UploadLogId = @uploadLogId;
        DELETE FROM dbo.PropmailJournalList WHERE UploadLogId = @uploadLogId;
        DELETE FROM dbo.PropmailJournal WHERE UploadLogId = @uploadLogId;
        UPDATE dbo.UploadLog SET ProcessingState = 11 WHERE UploadLogId = @uploadLogId;

        IF @dryRun = 0
        BEGIN
            COMMIT TRANSACTION;
        END;
        IF @dryRun = 1
        BEGIN
            ROLLBACK TRANSACTION;
        END;
    END TRY
    BEGIN CATCH
        IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;
        THROW;
    END CATCH;

    SELECT
        @uploadLogId AS UploadLogId,
        @regionId AS RegionId,
        @ownersRestored AS OwnersRestored,
        @ownersDeleted AS OwnersDeleted,
        @locationsRestored AS LocationsRestored,
        @locationsDeleted AS LocationsDeleted,
        @frequenciesDeleted AS FrequenciesDeleted,
        @codesDeleted AS CodesDeleted;
END;
GO
