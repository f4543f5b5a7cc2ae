-- ProcessPythonEnhancedData: merge one upload into Owner and Location, all or nothing.
--
-- The guide's procedure, hardened:
--   * SET XACT_ABORT ON and one transaction: any error rolls back every owner, location and
--     list row of the upload; the CATCH block then records UploadLog state 4 with the error.
--   * Loads of one region queue on an application lock; MERGE ... WITH (HOLDLOCK) over unique
--     indexes keeps concurrent loads of different regions exact (a bare MERGE under 8 sessions
--     failed with duplicate keys).
--   * Each MERGE source is deduplicated first (the last staged row per key): a duplicate source
--     key is error 8672.
--   * The update window is a WHEN MATCHED AND condition, never part of ON: in ON an old row would
--     look new and its insert would fail on the unique key.
--   * Every Location column of the contract is written, including OwnerId and ListPriorityId.
--
-- Rows come from the staging tables (keyed by @uploadLogId, filled in bounded chunks or by bulk
-- copy); @OwnersJson / @LocationsJson, when given, are staged first, as the guide's callers send
-- them. UploadLog states: 7 received and 8 merging owners are committed at once, so another
-- connection sees them; 9 merging locations and 10 final updates are written inside the
-- transaction (visible to READ UNCOMMITTED / NOLOCK readers); 3 done commits with the data.
-- @dryRun = 1 runs the same merge, returns its counts and rolls everything back.
-- The load journal is written inside the transaction: each MERGE outputs the before-image of
-- every row it rewrites (deleted.*) and the key of every row it inserts (#Propmail*Written,
-- which also gives the counts), copied into the journal tables unless @journal = 0. The
-- journal of the region's loads older than its @keepLoads newest is dropped.
CREATE OR ALTER PROCEDURE dbo.ProcessPythonEnhancedData
    @uploadLogId INT,
    @regionId INT,
    @OwnersJson NVARCHAR(MAX) = NULL,
    @LocationsJson NVARCHAR(MAX) = NULL,
    @updateWindowMonths INT = 6,
    @now DATETIME2(3) = NULL,
    @priorityLevel INT = 0,
    @processingOrder INT = 0,
    @isAbsentee INT = 2,
    @frequency INT = 26,
    @dividedBy INT = 4,
    @lockTimeoutMs INT = 600000,
    @dryRun BIT = 0,
    @journal BIT = 1,
    @keepLoads INT = 3
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @nowGiven BIT = CASE WHEN @now IS NULL THEN 0 ELSE 1 END;
    DECLARE @dayStart DATETIME2(3);
    DECLARE @cutoff DATETIME2(3);
    DECLARE @rc INT;
    DECLARE @committed BIT = 0;
    DECLARE @message NVARCHAR(4000);
    DECLARE @lockResource NVARCHAR(255) = CONCAT(N'propmail:region:', @regionId);
    DECLARE @ownersStaged INT = 0;
    DECLARE @ownersInserted INT = 0;
    DECLARE @ownersUpdated INT = 0;
    DECLARE @locationsStaged INT = 0;
    DECLARE @locationsInserted INT = 0;
    DECLARE @locationsUpdated INT = 0;
    DECLARE @locationsFrozen INT = 0;
    DECLARE @cellsKept INT = 0;
    DECLARE @newCodes NVARCHAR(MAX);
    DECLARE @pruned TABLE (UploadLogId INT NOT NULL PRIMARY KEY);
    DECLARE @createdCodes TABLE (Code NVARCHAR(255) COLLATE DATABASE_DEFAULT NOT NULL);

    BEGIN TRY
        SET @now = COALESCE(@now, CAST(GETDATE() AS DATETIME2(3)));
        SET @dayStart = CAST(CAST(@now AS DATE) AS DATETIME2(3));
        SET @cutoff = DATEADD(MONTH, -@updateWindowMonths, @now);

        IF @dryRun = 0 AND NOT EXISTS (SELECT 1 FROM dbo.UploadLog WHERE UploadLogId = @uploadLogId)
        BEGIN
            SET @message = CONCAT(N'UploadLog ', @uploadLogId, N' does not exist');
            THROW 50020, @message, 1;
        END;
        IF NOT EXISTS (SELECT 1 FROM dbo.Region WHERE RegionId = @regionId)
        BEGIN
            SET @message = CONCAT(N'Region ', @regionId, N' does not exist');
            THROW 50021, @message, 1;
        END;

        IF @dryRun = 0
        BEGIN
            UPDATE dbo.UploadLog SET ProcessingState = 7 WHERE UploadLogId = @uploadLogId;
        END;
        IF @OwnersJson IS NOT NULL OR @LocationsJson IS NOT NULL
        BEGIN
            EXEC dbo.PropmailStageJson
                @uploadLogId = @uploadLogId,
                @OwnersJson = @OwnersJson,
                @LocationsJson = @LocationsJson,
                @firstRow = 0;
        END;
        IF @dryRun = 0
        BEGIN
            UPDATE dbo.UploadLog SET ProcessingState = 8 WHERE UploadLogId = @uploadLogId;
        END;

        BEGIN TRANSACTION;

        -- two loads of one region never interleave
        EXEC @rc = sys.sp_getapplock
            @Resource = @lockResource,
            @LockMode = N'Exclusive',
            @LockOwner = N'Transaction',
            @LockTimeout = @lockTimeoutMs;
        IF @rc < 0
        BEGIN
            SET @message = CONCAT(N'timed out waiting for another load of region ', @regionId);
            THROW 50022, @message, 1;
        END;

        -- deduplicated sources: the last staged row per key
        SELECT
            d.Slug, d.Name, d.FirstName, d.LastName, d.Address1, d.Address2, d.City, d.State,
            d.Zip,
            COALESCE(d.FullAddress, LTRIM(RTRIM(CONCAT(
                REPLACE(d.Address1, N'''', N''), N' ', REPLACE(d.City, N'''', N''), N' ',
                REPLACE(d.State, N'''', N''), N' ', REPLACE(d.Zip, N'''', N''))))) AS FullAddress,
            d.IsBusiness, d.AlternateName, d.DoNotMail, d.MailingZip4, d.MailingCounty,
            d.AccuzipRequest, d.AccuzipResponse, d.KeepStored
        INTO #PropmailOwnerSource
        FROM (
            SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.Slug ORDER BY s.StageRow DESC) AS RowRank
            FROM dbo.PropmailStageOwner AS s
            WHERE s.UploadLogId = @uploadLogId AND s.Slug IS NOT NULL
        ) AS d
        WHERE d.RowRank = 1;
        CREATE UNIQUE CLUSTERED INDEX UX_PropmailOwnerSource ON #PropmailOwnerSource (Slug);

        SELECT
            d.PrimaryId, d.OwnerSlug, CAST(NULL AS INT) AS OwnerId, d.ListPriorityId,
            d.PriorityCode, d.IsOwnerOccupied, d.IsTrust, d.IsChurch, d.IsBusiness,
            d.OwnerGrantorMatch, d.Address1, d.City, d.State, d.Zip, d.County, d.Neighborhood,
            d.Acres, d.SellDate, d.SellAmount, d.Grantor, d.EstLoanToValue, d.EstEquity,
            d.LienType, d.BKDate, d.DivorceDate, d.PreFcRecordingDate, d.Vacant, d.ResponseNCOA,
            d.KeepStored
        INTO #PropmailLocationSource
        FROM (
            SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.PrimaryId ORDER BY s.StageRow DESC) AS RowRank
            FROM dbo.PropmailStageLocation AS s
            WHERE s.UploadLogId = @uploadLogId AND s.PrimaryId IS NOT NULL
        ) AS d
        WHERE d.RowRank = 1;
        CREATE UNIQUE CLUSTERED INDEX UX_PropmailLocationSource ON #PropmailLocationSource (PrimaryId);

        -- a cell the file could not read (KeepStored: |LocationSellDate|BKDate|) never erases
        -- a stored value: the matched row's value stands in for it before anything is compared,
        -- and is counted (@cellsKept)
        SELECT @cellsKept = COALESCE(SUM(
            CASE WHEN s.KeepStored LIKE N'%|OwnerName|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerFirstName|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerLastName|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerAddress1|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerAddress2|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerCity|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerState|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerZip|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|DoNotMail|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|OwnerMailingZip4|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationCounty|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|FullAccuzipResponse|%' THEN 1 ELSE 0 END
        ), 0)
        FROM #PropmailOwnerSource AS s
        JOIN dbo.Owner AS o ON o.Slug = s.Slug
        WHERE s.KeepStored IS NOT NULL;
        UPDATE s SET
            Name = CASE WHEN s.KeepStored LIKE N'%|OwnerName|%' THEN o.Name ELSE s.Name END,
            FirstName = CASE WHEN s.KeepStored LIKE N'%|OwnerFirstName|%' THEN o.FirstName ELSE s.FirstName END,
            LastName = CASE WHEN s.KeepStored LIKE N'%|OwnerLastName|%' THEN o.LastName ELSE s.LastName END,
            Address1 = CASE WHEN s.KeepStored LIKE N'%|OwnerAddress1|%' THEN o.Address1 ELSE s.Address1 END,
            Address2 = CASE WHEN s.KeepStored LIKE N'%|OwnerAddress2|%' THEN o.Address2 ELSE s.Address2 END,
            City = CASE WHEN s.KeepStored LIKE N'%|OwnerCity|%' THEN o.City ELSE s.City END,
            State = CASE WHEN s.KeepStored LIKE N'%|OwnerState|%' THEN o.State ELSE s.State END,
            Zip = CASE WHEN s.KeepStored LIKE N'%|OwnerZip|%' THEN o.Zip ELSE s.Zip END,
            DoNotMail = CASE WHEN s.KeepStored LIKE N'%|DoNotMail|%' THEN o.DoNotMail ELSE s.DoNotMail END,
            MailingZip4 = CASE WHEN s.KeepStored LIKE N'%|OwnerMailingZip4|%' THEN o.MailingZip4 ELSE s.MailingZip4 END,
            MailingCounty = CASE WHEN s.KeepStored LIKE N'%|LocationCounty|%' THEN o.MailingCounty ELSE s.MailingCounty END,
            AccuzipResponse = CASE WHEN s.KeepStored LIKE N'%|FullAccuzipResponse|%' THEN o.AccuzipResponse ELSE s.AccuzipResponse END
        FROM #PropmailOwnerSource AS s
        JOIN dbo.Owner AS o ON o.Slug = s.Slug
        WHERE s.KeepStored IS NOT NULL;
        SELECT @cellsKept = @cellsKept + COALESCE(SUM(
            CASE WHEN s.KeepStored LIKE N'%|LocationAddress1|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationCity|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationState|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationZip|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationCounty|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationNeighborhood|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationAcres|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationSellDate|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationSellAmount|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LocationGrantor|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|EstLoanToValue|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|EstEquity|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|LienType|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|BKDate|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|DivorceDate|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|PreFcRecordingDate|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|Vacant|%' THEN 1 ELSE 0 END +
            CASE WHEN s.KeepStored LIKE N'%|ResponseNCOA|%' THEN 1 ELSE 0 END
        ), 0)
        FROM #PropmailLocationSource AS s
        JOIN dbo.Location AS l ON l.PrimaryId = s.PrimaryId AND l.RegionId = @regionId
        WHERE s.KeepStored IS NOT NULL;
        UPDATE s SET
            Address1 = CASE WHEN s.KeepStored LIKE N'%|LocationAddress1|%' THEN l.Address1 ELSE s.Address1 END,
            City = CASE WHEN s.KeepStored LIKE N'%|LocationCity|%' THEN l.City ELSE s.City END,
            State = CASE WHEN s.KeepStored LIKE N'%|LocationState|%' THEN l.State ELSE s.State END,
            Zip = CASE WHEN s.KeepStored LIKE N'%|LocationZip|%' THEN l.Zip ELSE s.Zip END,
            County = CASE WHEN s.KeepStored LIKE N'%|LocationCounty|%' THEN l.County ELSE s.County END,
            Neighborhood = CASE WHEN s.KeepStored LIKE N'%|LocationNeighborhood|%' THEN l.Neighborhood ELSE s.Neighborhood END,
            Acres = CASE WHEN s.KeepStored LIKE N'%|LocationAcres|%' THEN l.Acres ELSE s.Acres END,
            SellDate = CASE WHEN s.KeepStored LIKE N'%|LocationSellDate|%' THEN l.SellDate ELSE s.SellDate END,
            SellAmount = CASE WHEN s.KeepStored LIKE N'%|LocationSellAmount|%' THEN l.SellAmount ELSE s.SellAmount END,
            Grantor = CASE WHEN s.KeepStored LIKE N'%|LocationGrantor|%' THEN l.Grantor ELSE s.Grantor END,
            EstLoanToValue = CASE WHEN s.KeepStored LIKE N'%|EstLoanToValue|%' THEN l.EstLoanToValue ELSE s.EstLoanToValue END,
            EstEquity = CASE WHEN s.KeepStored LIKE N'%|EstEquity|%' THEN l.EstEquity ELSE s.EstEquity END,
            LienType = CASE WHEN s.KeepStored LIKE N'%|LienType|%' THEN l.LienType ELSE s.LienType END,
            BKDate = CASE WHEN s.KeepStored LIKE N'%|BKDate|%' THEN l.BKDate ELSE s.BKDate END,
            DivorceDate = CASE WHEN s.KeepStored LIKE N'%|DivorceDate|%' THEN l.DivorceDate ELSE s.DivorceDate END,
            PreFcRecordingDate = CASE WHEN s.KeepStored LIKE N'%|PreFcRecordingDate|%' THEN l.PreFcRecordingDate ELSE s.PreFcRecordingDate END,
            Vacant = CASE WHEN s.KeepStored LIKE N'%|Vacant|%' THEN l.Vacant ELSE s.Vacant END,
            ResponseNCOA = CASE WHEN s.KeepStored LIKE N'%|ResponseNCOA|%' THEN l.ResponseNCOA ELSE s.ResponseNCOA END
        FROM #PropmailLocationSource AS s
        JOIN dbo.Location AS l ON l.PrimaryId = s.PrimaryId AND l.RegionId = @regionId
        WHERE s.KeepStored IS NOT NULL;

        SELECT @ownersStaged = COUNT(*) FROM #PropmailOwnerSource;
        SELECT @locationsStaged = COUNT(*) FROM #PropmailLocationSource;

        -- list codes: one get-or-create for every distinct code of the upload
        UPDATE s SET PriorityCode = lp.Code
        FROM #PropmailLocationSource AS s
        JOIN dbo.ListPriority AS lp ON lp.ListPriorityId = s.ListPriorityId
        WHERE s.PriorityCode IS NULL;

        CREATE TABLE #PropmailCodes (
            Code NVARCHAR(255) COLLATE DATABASE_DEFAULT NOT NULL PRIMARY KEY,
            IsAbsentee INT NULL,
            ListPriorityId INT NULL,
            Created BIT NOT NULL DEFAULT 0
        );
        INSERT INTO #PropmailCodes (Code)
        SELECT DISTINCT s.PriorityCode FROM #PropmailLocationSource AS s
        WHERE s.PriorityCode IS NOT NULL;
        EXEC dbo.PropmailEnsureListCodes
            @priorityLevel = @priorityLevel,
            @processingOrder = @processingOrder,
            @isAbsentee = @isAbsentee,
            @frequency = @frequency,
            @dividedBy = @dividedBy,
            @lockTimeoutMs = @lockTimeoutMs;
        INSERT INTO @createdCodes (Code) SELECT c.Code FROM #PropmailCodes AS c WHERE c.Created = 1;
        UPDATE s SET ListPriorityId = c.ListPriorityId
        FROM #PropmailLocationSource AS s
        JOIN #PropmailCodes AS c ON c.Code = s.PriorityCode;

        CREATE TABLE #PropmailOwnerWritten (
            UploadLogId INT NOT NULL,
            Slug NVARCHAR(255) COLLATE DATABASE_DEFAULT NOT NULL,
            Inserted SMALLINT NOT NULL,
            OwnerId INT NULL,
            Name NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            FirstName NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            LastName NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            Address1 NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            Address2 NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            City NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            State NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            Zip NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            FullAddress NVARCHAR(MAX) NULL,
            IsBusiness BIT NULL,
            AlternateName NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            DoNotMail NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            MailingZip4 NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            MailingCounty NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            AccuzipRequest NVARCHAR(MAX) NULL,
            AccuzipResponse NVARCHAR(MAX) NULL,
            InsertedDate DATETIME NULL,
            ModifiedDate DATETIME NULL,
            UpdatedDate DATETIME NULL
        );
        -- owners: matched -> every column rewritten when it changed or was not touched today
        MERGE INTO dbo.Owner WITH (HOLDLOCK) AS o
        USING #PropmailOwnerSource AS s
            ON o.Slug = s.Slug
        WHEN MATCHED AND (
            NOT EXISTS (
                SELECT s.Name, s.FirstName, s.LastName, s.Address1, s.Address2, s.City, s.State,
                       s.Zip, s.FullAddress, s.IsBusiness, s.AlternateName, s.DoNotMail,
                       s.MailingZip4, s.MailingCounty, s.AccuzipRequest, s.AccuzipResponse
                INTERSECT
                SELECT o.Name, o.FirstName, o.LastName, o.Address1, o.Address2, o.City, o.State,
                       o.Zip, o.FullAddress, o.IsBusiness, o.AlternateName, o.DoNotMail,
                       o.MailingZip4, o.MailingCounty, o.AccuzipRequest, o.AccuzipResponse
            )
            OR COALESCE(o.UpdatedDate, o.InsertedDate) IS NULL
            OR COALESCE(o.UpdatedDate, o.InsertedDate) < @dayStart
        ) THEN UPDATE SET
            Name = s.Name,
            FirstName = s.FirstName,
            LastName = s.LastName,
            Address1 = s.Address1,
            Address2 = s.Address2,
            City = s.City,
            State = s.State,
            Zip = s.Zip,
            FullAddress = s.FullAddress,
            IsBusiness = s.IsBusiness,
            AlternateName = s.AlternateName,
            DoNotMail = s.DoNotMail,
            MailingZip4 = s.MailingZip4,
            MailingCounty = s.MailingCounty,
            AccuzipRequest = s.AccuzipRequest,
            AccuzipResponse = s.AccuzipResponse,
            ModifiedDate = @now,
            UpdatedDate = @now
        WHEN NOT MATCHED BY TARGET THEN INSERT (
            Slug, Name, FirstName, LastName, Address1, Address2, City, State, Zip, FullAddress,
            IsBusiness, AlternateName, DoNotMail, MailingZip4, MailingCounty, AccuzipRequest,
            AccuzipResponse, InsertedDate
        ) VALUES (
            s.Slug, s.Name, s.FirstName, s.LastName, s.Address1, s.Address2, s.City, s.State,
            s.Zip, s.FullAddress, s.IsBusiness, s.AlternateName, s.DoNotMail, s.MailingZip4,
            s.MailingCounty, s.AccuzipRequest, s.AccuzipResponse, @now
        )
        -- the journal: every row written, its before-image (deleted.*) or, inserted, its key
        OUTPUT
            @uploadLogId, inserted.Slug, CASE WHEN $action = N'INSERT' THEN 1 ELSE 0 END,
            deleted.OwnerId, deleted.Name, deleted.FirstName, deleted.LastName, deleted.Address1,
            deleted.Address2, deleted.City, deleted.State, deleted.Zip, deleted.FullAddress,
            deleted.IsBusiness, deleted.AlternateName, deleted.DoNotMail, deleted.MailingZip4,
            deleted.MailingCounty, deleted.AccuzipRequest, deleted.AccuzipResponse,
            deleted.InsertedDate, deleted.ModifiedDate, deleted.UpdatedDate
        INTO #PropmailOwnerWritten;

        UPDATE dbo.UploadLog SET ProcessingState = 9 WHERE UploadLogId = @uploadLogId;

        UPDATE s SET OwnerId = o.OwnerId
        FROM #PropmailLocationSource AS s
        JOIN dbo.Owner AS o ON o.Slug = s.OwnerSlug;

        CREATE TABLE #PropmailLocationWritten (
            UploadLogId INT NOT NULL,
            RegionId INT NOT NULL,
            PrimaryId NVARCHAR(255) COLLATE DATABASE_DEFAULT NOT NULL,
            Inserted SMALLINT NOT NULL,
            LocationId INT NULL,
            OwnerId INT NULL,
            ListPriorityId INT NULL,
            PriorityCode NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            IsOwnerOccupied BIT NULL,
            IsTrust BIT NULL,
            IsChurch BIT NULL,
            IsBusiness BIT NULL,
            OwnerGrantorMatch BIT NULL,
            Address1 NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            City NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            State NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            Zip NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            County NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            Neighborhood NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            Acres FLOAT NULL,
            SellDate DATE NULL,
            SellAmount FLOAT NULL,
            Grantor NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            EstLoanToValue FLOAT NULL,
            EstEquity FLOAT NULL,
            LienType NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            BKDate DATE NULL,
            DivorceDate DATE NULL,
            PreFcRecordingDate DATE NULL,
            Vacant NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            ResponseNCOA NVARCHAR(255) COLLATE DATABASE_DEFAULT NULL,
            InsertedDate DATETIME NULL,
            ModifiedDate DATETIME NULL,
            UpdatedDate DATETIME NULL
        );
        -- frozen: matched, but neither inserted nor updated within the window; left as they are
        SELECT @locationsFrozen = COUNT(*)
        FROM #PropmailLocationSource AS s
        JOIN dbo.Location AS l ON l.PrimaryId = s.PrimaryId AND l.RegionId = @regionId
        WHERE NOT (
            (l.InsertedDate IS NOT NULL AND l.InsertedDate >= @cutoff)
            OR (l.UpdatedDate IS NOT NULL AND l.UpdatedDate >= @cutoff)
        );

        MERGE INTO dbo.Location WITH (HOLDLOCK) AS l
        USING #PropmailLocationSource AS s
            ON l.PrimaryId = s.PrimaryId AND l.RegionId = @regionId
        WHEN MATCHED AND (
            (l.InsertedDate IS NOT NULL AND l.InsertedDate >= @cutoff)
            OR (l.UpdatedDate IS NOT NULL AND l.UpdatedDate >= @cutoff)
        ) AND (
            NOT EXISTS (
                SELECT s.OwnerId, s.ListPriorityId, s.PriorityCode, s.IsOwnerOccupied, s.IsTrust,
                       s.IsChurch, s.IsBusiness, s.OwnerGrantorMatch, s.Address1, s.City, s.State,
                       s.Zip, s.County, s.Neighborhood, s.Acres, s.SellDate, s.SellAmount,
                       s.Grantor, s.EstLoanToValue, s.EstEquity, s.LienType, s.BKDate,
                       s.DivorceDate, s.PreFcRecordingDate, s.Vacant, s.ResponseNCOA
                INTERSECT
                SELECT l.OwnerId, l.ListPriorityId, l.PriorityCode, l.IsOwnerOccupied, l.IsTrust,
                       l.IsChurch, l.IsBusiness, l.OwnerGrantorMatch, l.Address1, l.City, l.State,
                       l.Zip, l.County, l.Neighborhood, l.Acres, l.SellDate, l.SellAmount,
                       l.Grantor, l.EstLoanToValue, l.EstEquity, l.LienType, l.BKDate,
                       l.DivorceDate, l.PreFcRecordingDate, l.Vacant, l.ResponseNCOA
            )
            OR COALESCE(l.UpdatedDate, l.InsertedDate) IS NULL
            OR COALESCE(l.UpdatedDate, l.InsertedDate) < @dayStart
        ) THEN UPDATE SET
            OwnerId = s.OwnerId,
            ListPriorityId = s.ListPriorityId,
            PriorityCode = s.PriorityCode,
            IsOwnerOccupied = s.IsOwnerOccupied,
            IsTrust = s.IsTrust,
            IsChurch = s.IsChurch,
            IsBusiness = s.IsBusiness,
            OwnerGrantorMatch = s.OwnerGrantorMatch,
            Address1 = s.Address1,
            City = s.City,
            State = s.State,
            Zip = s.Zip,
            County = s.County,
            Neighborhood = s.Neighborhood,
            Acres = s.Acres,
            SellDate = s.SellDate,
            SellAmount = s.SellAmount,
            Grantor = s.Grantor,
            EstLoanToValue = s.EstLoanToValue,
            EstEquity = s.EstEquity,
            LienType = s.LienType,
            BKDate = s.BKDate,
            DivorceDate = s.DivorceDate,
            PreFcRecordingDate = s.PreFcRecordingDate,
            Vacant = s.Vacant,
            ResponseNCOA = s.ResponseNCOA,
            ModifiedDate = @now,
            UpdatedDate = @now
        WHEN NOT MATCHED BY TARGET THEN INSERT (
            RegionId, PrimaryId, OwnerId, ListPriorityId, PriorityCode, IsOwnerOccupied, IsTrust,
            IsChurch, IsBusiness, OwnerGrantorMatch, Address1, City, State, Zip, County,
            Neighborhood, Acres, SellDate, SellAmount, Grantor, EstLoanToValue, EstEquity,
            LienType, BKDate, DivorceDate, PreFcRecordingDate, Vacant, ResponseNCOA, InsertedDate
        ) VALUES (
            @regionId, s.PrimaryId, s.OwnerId, s.ListPriorityId, s.PriorityCode,
            s.IsOwnerOccupied, s.IsTrust, s.IsChurch, s.IsBusiness, s.OwnerGrantorMatch,
            s.Address1, s.City, s.State, s.Zip, s.County, s.Neighborhood, s.Acres, s.SellDate,
            s.SellAmount, s.Grantor, s.EstLoanToValue, s.EstEquity, s.LienType, s.BKDate,
            s.DivorceDate, s.PreFcRecordingDate, s.Vacant, s.ResponseNCOA, @now
        )
        -- the journal: every row written, its before-image (deleted.*) or, inserted, its key
        OUTPUT
            @uploadLogId, @regionId, inserted.PrimaryId,
            CASE WHEN $action = N'INSERT' THEN 1 ELSE 0 END, deleted.LocationId, deleted.OwnerId,
            deleted.ListPriorityId, deleted.PriorityCode, deleted.IsOwnerOccupied, deleted.IsTrust,
            deleted.IsChurch, deleted.IsBusiness, deleted.OwnerGrantorMatch, deleted.Address1,
            deleted.City, deleted.State, deleted.Zip, deleted.County, deleted.Neighborhood,
            deleted.Acres, deleted.SellDate, deleted.SellAmount, deleted.Grantor,
            deleted.EstLoanToValue, deleted.EstEquity, deleted.LienType, deleted.BKDate,
            deleted.DivorceDate, deleted.PreFcRecordingDate, deleted.Vacant, deleted.ResponseNCOA,
            deleted.InsertedDate, deleted.ModifiedDate, deleted.UpdatedDate
        INTO #PropmailLocationWritten;

        UPDATE dbo.UploadLog SET ProcessingState = 10 WHERE UploadLogId = @uploadLogId;

        SELECT
            @ownersInserted = COUNT(CASE WHEN j.Inserted = 1 THEN 1 END),
            @ownersUpdated = COUNT(CASE WHEN j.Inserted = 0 THEN 1 END)
        FROM #PropmailOwnerWritten AS j;
        SELECT
            @locationsInserted = COUNT(CASE WHEN j.Inserted = 1 THEN 1 END),
            @locationsUpdated = COUNT(CASE WHEN j.Inserted = 0 THEN 1 END)
        FROM #PropmailLocationWritten AS j;

        IF @journal = 1
        BEGIN
            INSERT INTO dbo.PropmailJournalLocation (
                UploadLogId, RegionId, PrimaryId, Inserted, LocationId, OwnerId, ListPriorityId,
                PriorityCode, IsOwnerOccupied, IsTrust, IsChurch, IsBusiness, OwnerGrantorMatch,
                Address1, City, State, Zip, County, Neighborhood, Acres, SellDate, SellAmount,
                Grantor, EstLoanToValue, EstEquity, LienType, BKDate, DivorceDate,
                PreFcRecordingDate, Vacant, ResponseNCOA, InsertedDate, ModifiedDate, UpdatedDate
            )
            SELECT
                UploadLogId, RegionId, PrimaryId, Inserted, LocationId, OwnerId, ListPriorityId,
                PriorityCode, IsOwnerOccupied, IsTrust, IsChurch, IsBusiness, OwnerGrantorMatch,
                Address1, City, State, Zip, County, Neighborhood, Acres, SellDate, SellAmount,
                Grantor, EstLoanToValue, EstEquity, LienType, BKDate, DivorceDate,
                PreFcRecordingDate, Vacant, ResponseNCOA, InsertedDate, ModifiedDate, UpdatedDate
            FROM #PropmailLocationWritten;
            INSERT INTO dbo.PropmailJournalOwner (
                UploadLogId, Slug, Inserted, OwnerId, Name, FirstName, LastName, Address1,
                Address2, City, State, Zip, FullAddress, IsBusiness, AlternateName, DoNotMail,
                MailingZip4, MailingCounty, AccuzipRequest, AccuzipResponse, InsertedDate,
                ModifiedDate, UpdatedDate
            )
            SELECT
                UploadLogId, Slug, Inserted, OwnerId, Name, FirstName, LastName, Address1,
                Address2, City, State, Zip, FullAddress, IsBusiness, AlternateName, DoNotMail,
                MailingZip4, MailingCounty, AccuzipRequest, AccuzipResponse, InsertedDate,
                ModifiedDate, UpdatedDate
            FROM #PropmailOwnerWritten;
            INSERT INTO dbo.PropmailJournal (UploadLogId, RegionId, LoadedAt)
            VALUES (@uploadLogId, @regionId, @now);
            INSERT INTO dbo.PropmailJournalList (UploadLogId, ListPriorityId)
            SELECT @uploadLogId, lp.ListPriorityId
            FROM @createdCodes AS c
            JOIN dbo.ListPriority AS lp ON lp.Code = c.Code;
        END;
        -- retention: the journal of this region's loads older than its @keepLoads newest
        INSERT INTO @pruned (UploadLogId)
        SELECT a.UploadLogId FROM dbo.PropmailJournal AS a
        WHERE a.RegionId = @regionId AND (
            SELECT COUNT(*) FROM dbo.PropmailJournal AS b
            WHERE b.RegionId = a.RegionId AND b.UploadLogId > a.UploadLogId
        ) >= @keepLoads;
        DELETE j FROM dbo.PropmailJournalOwner AS j JOIN @pruned AS p ON p.UploadLogId = j.UploadLogId;
        DELETE j FROM dbo.PropmailJournalLocation AS j JOIN @pruned AS p ON p.UploadLogId = j.UploadLogId;
        DELETE j FROM dbo.PropmailJournalList AS j JOIN @pruned AS p ON p.UploadLogId = j.UploadLogId;
        DELETE j FROM dbo.PropmailJournal AS j JOIN @pruned AS p ON p.UploadLogId = j.UploadLogId;
        SET @newCodes = (SELECT c.Code FROM @createdCodes AS c ORDER BY c.Code FOR JSON PATH);

        UPDATE dbo.UploadLog
        SET RowsProcessed = @locationsStaged,
            ProcessingState = 3,
            ProcessingEnded = CASE WHEN @nowGiven = 1 THEN @now ELSE GETDATE() END
        WHERE UploadLogId = @uploadLogId;
        DELETE FROM dbo.PropmailStageOwner WHERE UploadLogId = @uploadLogId;
        DELETE FROM dbo.PropmailStageLocation WHERE UploadLogId = @uploadLogId;

        IF @dryRun = 0
        BEGIN
            COMMIT TRANSACTION;
            SET @committed = 1;
        END;
        IF @dryRun = 1
        BEGIN
            -- a dry run undoes it all, then drops the rows it staged
            ROLLBACK TRANSACTION;
            DELETE FROM dbo.PropmailStageOwner WHERE UploadLogId = @uploadLogId;
            DELETE FROM dbo.PropmailStageLocation WHERE UploadLogId = @uploadLogId;
        END;
    END TRY
    BEGIN CATCH
        IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;
        SET @message = LEFT(CONCAT(
            N'SQL Server error ', ERROR_NUMBER(), N' in ', COALESCE(ERROR_PROCEDURE(), N'batch'),
            N' line ', ERROR_LINE(), N': ', ERROR_MESSAGE()), 4000);
        IF @dryRun = 0 AND @committed = 0
        BEGIN
            UPDATE dbo.UploadLog
            SET ProcessingState = 4, ErrorMessage = @message, ProcessingEnded = GETDATE()
            WHERE UploadLogId = @uploadLogId;
        END;
        DELETE FROM dbo.PropmailStageOwner WHERE UploadLogId = @uploadLogId;
        DELETE FROM dbo.PropmailStageLocation WHERE UploadLogId = @uploadLogId;
        THROW;
    END CATCH;

    SELECT
        @uploadLogId AS UploadLogId,
        @locationsStaged AS RowsProcessed,
        @ownersStaged AS OwnersStaged,
        @ownersInserted AS OwnersInserted,
        @ownersUpdated AS OwnersUpdated,
        @ownersStaged - @ownersInserted - @ownersUpdated AS OwnersUnchanged,
        @locationsInserted AS LocationsInserted,
        @locationsUpdated AS LocationsUpdated,
        @locationsStaged - @locationsInserted - @locationsUpdated - @locationsFrozen
            AS LocationsUnchanged,
        @locationsFrozen AS LocationsFrozen,
        @newCodes AS NewCodes,
        CASE WHEN @dryRun = 1 THEN NULL ELSE 3 END AS ProcessingState,
        @cellsKept AS CellsKept;
END;
GO
