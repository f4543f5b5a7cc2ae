-- PropmailEnsureListCodes: get-or-create a ListPriority row for every code in the caller's
-- #PropmailCodes table (Code, IsAbsentee, ListPriorityId, Created), inside the caller's
-- transaction, so a failed load leaves no list row behind.
--
-- Safe against a concurrent creator: creators queue on one application lock held to the end of
-- their transaction, and the existence probe takes UPDLOCK, HOLDLOCK key-range locks (for
-- creators that do not use the lock, such as the legacy procedure). Two loads creating the
-- same code end with exactly one row, and both use its id. Loads whose codes all exist take
-- no lock here.
CREATE OR ALTER PROCEDURE dbo.PropmailEnsureListCodes
    @priorityLevel INT = 0,
    @processingOrder INT = 0,
    @isAbsentee INT = 2,
    @frequency INT = 26,
    @dividedBy INT = 4,
    @lockTimeoutMs INT = 600000
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @rc INT;
    DECLARE @missing INT;
    DECLARE @inserted TABLE (Code NVARCHAR(255) COLLATE DATABASE_DEFAULT NOT NULL);

    IF @@TRANCOUNT = 0
    BEGIN
        THROW 50010, N'PropmailEnsureListCodes must run inside the caller''s transaction', 1;
    END;

    UPDATE c SET ListPriorityId = lp.ListPriorityId
    FROM #PropmailCodes AS c
    JOIN dbo.ListPriority AS lp ON lp.Code = c.Code;

    SELECT @missing = COUNT(*) FROM #PropmailCodes AS c WHERE c.ListPriorityId IS NULL;

    IF @missing > 0
    BEGIN
        EXEC @rc = sys.sp_getapplock
            @Resource = N'propmail:ListPriority',
            @LockMode = N'Exclusive',
            @LockOwner = N'Transaction',
            @LockTimeout = @lockTimeoutMs;
        IF @rc < 0
        BEGIN
            THROW 50011, N'timed out waiting for another load to finish creating list codes', 1;
        END;

        INSERT INTO dbo.ListPriority (Code, Name, PriorityLevel, ProcessingOrder, IsAbsentee)
        OUTPUT inserted.Code INTO @inserted
        SELECT c.Code, c.Code, @priorityLevel, @processingOrder, COALESCE(c.IsAbsentee, @isAbsentee)
        FROM #PropmailCodes AS c
        WHERE c.ListPriorityId IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM dbo.ListPriority AS lp WITH (UPDLOCK, HOLDLOCK) WHERE lp.Code = c.Code
          )
        ORDER BY c.Code;

        UPDATE c
        SET ListPriorityId = lp.ListPriorityId,
            Created = CASE WHEN i.Code IS NULL THEN 0 ELSE 1 END
        FROM #PropmailCodes AS c
        JOIN dbo.ListPriority AS lp ON lp.Code = c.Code
        LEFT JOIN @inserted AS i ON i.Code = c.Code
        WHERE c.ListPriorityId IS NULL;

        -- every new list gets one frequency row per region (the legacy defaults: 26, 4)
        INSERT INTO dbo.RegionListFrequency (Frequency, ListId, RegionId, DividedBy)
        SELECT @frequency, c.ListPriorityId, r.RegionId, @dividedBy
        FROM #PropmailCodes AS c
        CROSS JOIN dbo.Region AS r
        WHERE c.Created = 1
        ORDER BY c.ListPriorityId, r.RegionId;
    END;
END;
GO
