-- PropmailGetOrCreateListCodes: the batch form of the guide's get_or_create_list_priority_id.
-- @CodesJson is a JSON array of {"Code": ..., "IsAbsentee": ...} (IsAbsentee optional); returns
-- one row per distinct code: Code, ListPriorityId, Created (1 when this call created it).
CREATE OR ALTER PROCEDURE dbo.PropmailGetOrCreateListCodes
    @CodesJson NVARCHAR(MAX),
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
    CREATE TABLE #PropmailCodes (
        Code NVARCHAR(255) COLLATE DATABASE_DEFAULT NOT NULL PRIMARY KEY,
        IsAbsentee INT NULL,
        ListPriorityId INT NULL,
        Created BIT NOT NULL DEFAULT 0
    );

    BEGIN TRY
        INSERT INTO #PropmailCodes (Code, IsAbsentee)
        SELECT j.Code, MAX(j.IsAbsentee)
        FROM OPENJSON(@CodesJson) WITH (
            Code NVARCHAR(255) '$.Code',
            IsAbsentee INT '$.IsAbsentee'
        ) AS j
        WHERE j.Code IS NOT NULL
        GROUP BY j.Code;

        BEGIN TRANSACTION;
        EXEC dbo.PropmailEnsureListCodes
            @priorityLevel = @priorityLevel,
            @processingOrder = @processingOrder,
            @isAbsentee = @isAbsentee,
            @frequency = @frequency,
            @dividedBy = @dividedBy,
            @lockTimeoutMs = @lockTimeoutMs;
        COMMIT TRANSACTION;
    END TRY
    BEGIN CATCH
        IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;
        THROW;
    END CATCH;

    SELECT c.Code, c.ListPriorityId, c.Created FROM #PropmailCodes AS c ORDER BY c.Code;
END;
GO
